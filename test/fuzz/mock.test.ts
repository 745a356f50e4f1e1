import { fuzzSuite } from './suite.js';
import { mockFuzzTarget } from './targets.js';

fuzzSuite(mockFuzzTarget, 'mock (in-process, chaos off)', { prism: true });
