/**
 * `traceloom <command>` (DESIGN §8): a thin shell over the stages' public functions.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { ContractError, bundleContract, defaultRoot, readModel, repoRoot, writeBundle } from './contract/index.js';

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, { help: string; run: Command }> = {
  bundle: {
    help: 'bundle openapi/ into generated/openapi.json and generated/openapi.yaml',
    run: async () => {
      const { document } = await bundleContract(defaultRoot);
      readModel(document); // refuse to write a bundle whose x-traceloom data is broken
      for (const file of await writeBundle(document)) console.log(`wrote ${file}`);
      return 0;
    },
  },
  lint: {
    help: 'run the Redocly and Spectral gates on the contract',
    run: async () => {
      const r = spawnSync('npm', ['run', '--silent', 'lint'], { cwd: repoRoot, stdio: 'inherit' });
      return r.status ?? 1;
    },
  },
  start: {
    help: 'build what is needed, then serve the mock and the docs on :4010',
    run: async () => {
      console.log('traceloom: the mock server is not built yet (see issue 4). `npm run bundle` and `npm run lint` work today.');
      return 0;
    },
  },
};

/** Runs one CLI command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    const list = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.help}`).join('\n');
    console.error(`${name ? `unknown command \`${name}\`\n` : ''}usage: traceloom <command>\n${list}`);
    return name ? 2 : 0;
  }
  try {
    return await command.run(args);
  } catch (err) {
    if (err instanceof ContractError) {
      console.error(`traceloom ${name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
