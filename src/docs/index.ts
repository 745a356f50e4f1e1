/**
 * The docs stage (DESIGN §7): the rendered reference with guides generated from the contract,
 * a Markdown page per guide and per operation, `llms.txt` and `llms-full.txt`; and the handler
 * that serves them (the mock mounts it at `/docs/` and `/llms.txt`).
 * @module
 */
export { buildDocs, type BuildOptions } from './build.js';
export { docsStale, type StaleOptions } from './stale.js';
export { serveDocs, type ServeOptions } from './serve.js';
