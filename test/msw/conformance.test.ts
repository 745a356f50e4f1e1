import { conformanceSuite } from '../conformance/suite.js';
import { mswTarget } from './target.js';

conformanceSuite('MSW handlers (msw/node)', () => mswTarget(), 'fetch');
