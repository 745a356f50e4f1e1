#!/usr/bin/env node
// `traceloom <command>`: runs the TypeScript CLI through tsx, so the repository works without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
