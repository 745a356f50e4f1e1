import { fuzzSuite } from './suite.js';
import { serverFuzzTarget } from './targets.js';

fuzzSuite(serverFuzzTarget, 'server stubs (Express + reference handlers)');
