import { conformanceSuite } from '../conformance/suite.js';
import { mockTarget } from './target.js';

conformanceSuite('mock (memory store)', () => mockTarget());
