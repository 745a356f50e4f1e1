#!/usr/bin/env node
// `traceloom <command>`. In a checkout of the repository (src/cli.ts is there and tsx is installed)
// it runs the TypeScript source through tsx, so edits take effect without a build; installed from
// the package (no src/, no tsx) it runs the compiled dist/src/cli.js with plain Node.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
const compiled = new URL('../dist/src/cli.js', import.meta.url);

async function load() {
  if (existsSync(source)) {
    const tsx = await import('tsx/esm/api').catch(() => null);
    if (tsx) {
      tsx.register();
      return import(source.href);
    }
  }
  if (!existsSync(compiled)) {
    console.error('traceloom: dist/src/cli.js is missing; run `npm run build` in the traceloom package (or reinstall it).');
    process.exit(1);
  }
  return import(compiled.href);
}

const { main } = await load();
process.exitCode = await main(process.argv.slice(2));
