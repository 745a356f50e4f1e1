/**
 * `npm run generate` (and `npm run generate -- --check` for CI): a thin shell over {@link generate}.
 * @module
 */
import { relative } from 'node:path';
import { ContractError, repoRoot } from '../contract/index.js';
import { generate } from './index.js';

try {
  const check = process.argv.includes('--check');
  const { written, stale } = await generate({ check });
  for (const file of written) console.log(`wrote ${relative(repoRoot, file)}`);
  if (check && stale.length > 0) {
    console.error(`generated/ is out of date (${stale.join(', ')}); run \`npm run generate\` and commit the result`);
    process.exitCode = 1;
  } else if (check) {
    console.log('generated/ is up to date');
  }
} catch (err) {
  if (!(err instanceof ContractError)) throw err;
  console.error(`generate: ${err.message}`);
  process.exitCode = 1;
}
