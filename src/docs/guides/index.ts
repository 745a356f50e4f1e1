/**
 * The guides, in reading order. Each is generated from the contract model (see context.ts) and
 * shown twice: as a tag section of the rendered reference and as `guides/<slug>.md`.
 * @module
 */
import { authentication } from './authentication.js';
import type { Guide } from './context.js';
import { errors } from './errors.js';
import { mock } from './mock.js';
import { rateLimits } from './rate-limits.js';
import { retries } from './retries.js';
import { versioning } from './versioning.js';

export type { Guide, GuideContext } from './context.js';
export { ERRORS_TITLE } from './errors.js';

/** Every guide, in the order the navigation and llms.txt list them. */
export const GUIDES: readonly Guide[] = [authentication, rateLimits, errors, retries, versioning, mock];
