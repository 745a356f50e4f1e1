/**
 * The policy stage (DESIGN §4): plan gates, caps, rate limits with bursts, monthly quotas;
 * headers and problems rendered from its Decision; the memory store.
 *
 * Read top to bottom: `decide` → `rateLimitHeaders` + `problem` → stores → overrides.
 * Everything here is free of Node-only APIs (the package's `traceloom/policy`, browser-safe);
 * `RedisStore` lives in `./redis.js` (`traceloom/policy/redis`) so ioredis stays out of this graph.
 * @module
 */
export { decide, decideNow } from './decide.js';
export { peekPolicies, type PeekedPolicy } from './peek.js';
export type { Clock, Decision, DecideOptions, FailMode, PolicyState, ProblemMembers, RequestFacts } from './types.js';
// the store interface, for wrappers (e.g. the mock's chaos injection) and other backends
export type { EvaluateRequest, EvaluateResult, LimiterKind, LimiterResult, LimiterSpec, PolicyStore } from './types.js';
export { rateLimitHeaders, RATE_LIMIT_HEADER_NAMES } from './headers.js';
export { problem, PROBLEM_CONTENT_TYPE, type Problem, type ProblemOptions } from './problem.js';
export { monthOf as usagePeriod, type MonthSpan } from './keys.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { SLIDING_COUNTER_ERROR_BOUND } from './counter.js';
export {
  applyOverrides,
  overridesFromEnv,
  parsePolicyOption,
  parseLimitWindow,
  type PolicyOverride,
  type PolicyOverrides,
  type PolicyScale,
} from './overrides.js';
export { forcedRateLimit, StoreUnavailableError, unavailable, type Refusal } from './refusals.js';
