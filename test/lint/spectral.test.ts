/**
 * The Spectral gate (.spectral.yaml + tools/spectral): the real contract passes with no finding at
 * any severity, and each Traceloom rule fires, with a message that says what to do, on a small
 * fixture broken in one place. The CLI runs as `npm run lint:spectral` does, once for the contract
 * and once for all fixtures together.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Doc, problem, splitDocs, things, validDoc } from './fixtures.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

interface Finding {
  code: string;
  message: string;
  severity: number;
  source?: string;
  path: (string | number)[];
}
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the repository root; resolves with its exit code instead of rejecting. */
function run(file: string, args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { cwd: root, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      done({ code, stdout, stderr });
    });
  });
}

/** Lints `files` with the project ruleset, exactly as the npm script does, and parses the JSON report. */
async function spectral(files: string[]): Promise<Finding[]> {
  const out = await run(bin('spectral'), ['lint', ...files, '--ruleset', '.spectral.yaml', '--fail-severity=hint', '--format=json', '--quiet']);
  if (!out.stdout.trim().startsWith('[')) throw new Error(`spectral did not report JSON (exit ${out.code}): ${out.stderr || out.stdout}`);
  return JSON.parse(out.stdout) as Finding[];
}

/** given: a fixture broken in one place; want: the rule and the words of its message. */
const cases: { given: string; mutate: (doc: Doc) => void; rule: string; want: string }[] = [
  {
    given: 'an unknown rate-limit policy',
    rule: 'traceloom-rate-limit-policies-known',
    mutate: (d) => {
      things(d)['x-traceloom-rate-limit'] = ['default', 'reeds'];
    },
    want: '`x-traceloom-rate-limit` names unknown policy `reeds` on GET /v1/things; known: default, reads',
  },
  {
    given: 'a 2xx without the legacy X-RateLimit-* headers',
    rule: 'traceloom-rate-limit-headers',
    mutate: (d) => {
      delete things(d).responses['200'].headers['X-RateLimit-Limit'];
      delete things(d).responses['200'].headers['X-RateLimit-Reset'];
    },
    want: 'The 200 response of GET /v1/things does not document X-RateLimit-Limit, X-RateLimit-Reset',
  },
  {
    given: 'a 4xx without the IETF RateLimit header',
    rule: 'traceloom-rate-limit-headers',
    mutate: (d) => {
      delete things(d).responses['404'].headers.RateLimit;
    },
    want: 'The 404 response of GET /v1/things does not document RateLimit;',
  },
  {
    given: 'a 429 without Retry-After',
    rule: 'traceloom-rate-limit-headers',
    mutate: (d) => {
      delete things(d).responses['429'].headers['Retry-After'];
    },
    want: 'The 429 response of GET /v1/things does not document `Retry-After`',
  },
  {
    given: 'a rate-limited operation without a 429',
    rule: 'traceloom-rate-limit-headers',
    mutate: (d) => {
      delete things(d).responses['429'];
    },
    want: 'GET /v1/things declares `x-traceloom-rate-limit` but documents no 429 response',
  },
  {
    given: 'rate-limit headers on an operation that is not rate-limited',
    rule: 'traceloom-rate-limit-headers',
    mutate: (d) => {
      d.paths['/v1/health'].get.responses['200'].headers = { RateLimit: { $ref: '#/components/headers/RateLimit' } };
    },
    want: 'The 200 response of GET /v1/health documents RateLimit, but the operation has no `x-traceloom-rate-limit`',
  },
  {
    given: 'a 4xx documented as application/json',
    rule: 'traceloom-problem-responses',
    mutate: (d) => {
      const c = things(d).responses['404'].content;
      c['application/json'] = c['application/problem+json'];
      delete c['application/problem+json'];
    },
    want: 'The 404 response of GET /v1/things is documented as `application/json`; error bodies are `application/problem+json` only',
  },
  {
    given: 'a problem schema without request_id',
    rule: 'traceloom-problem-responses',
    mutate: (d) => {
      d.components.schemas.Problem.required = ['type', 'title', 'status', 'code', 'retryable'];
    },
    want: 'The 404 response of GET /v1/things is not a Traceloom problem: its schema does not require request_id',
  },
  {
    given: 'a 5xx without a body',
    rule: 'traceloom-problem-responses',
    mutate: (d) => {
      things(d).responses['500'] = { description: 'Oops.' };
    },
    want: 'The 500 response of GET /v1/things has no body',
  },
  {
    given: 'an example with an unregistered code',
    rule: 'traceloom-error-codes',
    mutate: (d) => {
      things(d).responses['404'].content['application/problem+json'].examples = { gone: problem('gone', 404, false) };
    },
    want: 'Example `gone` of the 404 response of GET /v1/things uses code `gone`, which is not in the error registry',
  },
  {
    given: 'a registered code no operation returns',
    rule: 'traceloom-error-codes',
    mutate: (d) => {
      d['x-traceloom'].errors.teapot = { status: 418, title: 'Teapot', retryable: false };
    },
    want: 'Error code `teapot` is registered in x-traceloom.errors but no operation returns it',
  },
  {
    given: 'an error example not keyed by its code',
    rule: 'traceloom-error-codes',
    mutate: (d) => {
      things(d).responses['404'].content['application/problem+json'].examples = { missing: problem('not_found', 404, false) };
    },
    want: 'Example `missing` of the 404 response of GET /v1/things has code `not_found`; key each error example by its code',
  },
  {
    given: 'an example whose status disagrees with the registry',
    rule: 'traceloom-error-codes',
    mutate: (d) => {
      things(d).responses['404'].content['application/problem+json'].examples.not_found.value.status = 410;
    },
    want: 'has status 410, but the registry gives `not_found` status 404',
  },
  {
    given: 'an example whose type is not <docs_base_url>/errors#<code>',
    rule: 'traceloom-error-codes',
    mutate: (d) => {
      things(d).responses['404'].content['application/problem+json'].examples.not_found.value.type = 'https://example.com/404';
    },
    want: 'the type of `not_found` is `https://docs.example.dev/errors#not_found`',
  },
  {
    given: 'an unknown plan',
    rule: 'traceloom-extensions-known',
    mutate: (d) => {
      things(d)['x-traceloom-plan'] = 'platinum';
    },
    want: '`x-traceloom-plan` names unknown plan `platinum` on GET /v1/things; known: free, pro',
  },
  {
    given: 'a quota on an unknown meter',
    rule: 'traceloom-extensions-known',
    mutate: (d) => {
      things(d)['x-traceloom-quota'].meter = 'tokens';
    },
    want: '`x-traceloom-quota` on GET /v1/things meters unknown meter `tokens`; known: traces',
  },
  {
    given: 'an unknown cap',
    rule: 'traceloom-extensions-known',
    mutate: (d) => {
      things(d)['x-traceloom-cap'] = 'widgets';
    },
    want: '`x-traceloom-cap` names cap `widgets` on GET /v1/things, which not every plan defines; known: projects, seats',
  },
  {
    given: 'a misspelt x-traceloom key',
    rule: 'traceloom-extensions-known',
    mutate: (d) => {
      things(d)['x-traceloom-ratelimit'] = ['default'];
    },
    want: 'Unknown extension `x-traceloom-ratelimit` on GET /v1/things',
  },
  {
    given: 'an operation without a summary',
    rule: 'traceloom-operation-complete',
    mutate: (d) => {
      delete things(d).summary;
    },
    want: 'GET /v1/things has no `summary`',
  },
  {
    given: 'an operation with two tags',
    rule: 'traceloom-operation-complete',
    mutate: (d) => {
      things(d).tags = ['Things', 'Health'];
    },
    want: 'GET /v1/things has 2 tag(s); give it exactly one tag',
  },
  {
    given: 'a security requirement with an undeclared scope',
    rule: 'traceloom-security-defined',
    mutate: (d) => {
      things(d).security = [{ ApiKey: ['raed'] }];
    },
    want: 'GET /v1/things requires `ApiKey` with unknown scope `raed`; known (the roles schema #/components/schemas/Scope): read, write',
  },
];

/** given: the split fixture broken in its path file or its root; want: the rule and message words, and the file blamed. */
const splitCases: { given: string; mutate: (docs: Record<string, Doc>) => void; rule: string; want: string; file: string }[] = [
  {
    given: 'a response without a description inside a split path file',
    rule: 'traceloom-oas3-schema',
    file: 'things.json',
    mutate: (d) => {
      delete d['things.json']!.get.responses['200'].description;
    },
    want: '"200" property must have required property "description"',
  },
  {
    given: 'a component whose file nothing else references',
    rule: 'traceloom-unused-component',
    file: 'root.json',
    mutate: (d) => {
      d['orphan.json'] = { type: 'string', maxLength: 8 };
      d['root.json']!.components.schemas.Orphan = { $ref: 'orphan.json' };
    },
    want: 'Component schemas.Orphan is not referenced by any operation or component',
  },
];

let dir = '';
let contract: Finding[] = [];
let redocly: Run = { code: -1, stdout: '', stderr: '' };
const byFixture = new Map<string, Finding[]>();
const ours = (findings: Finding[]) => findings.filter((f) => f.code.startsWith('traceloom-'));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'traceloom-spectral-'));
  const files = ['valid', ...cases.map((_, i) => `case-${i}`)].map((name) => join(dir, `${name}.json`));
  await writeFile(files[0]!, JSON.stringify(validDoc(), null, 2));
  await Promise.all(
    cases.map((c, i) => {
      const doc = validDoc();
      c.mutate(doc);
      return writeFile(files[i + 1]!, JSON.stringify(doc, null, 2));
    }),
  );
  const splits = ['split-valid', ...splitCases.map((_, i) => `split-${i}`)];
  await Promise.all(
    splits.map(async (name, i) => {
      const docs = splitDocs();
      if (i > 0) splitCases[i - 1]!.mutate(docs);
      await mkdir(join(dir, name));
      await Promise.all(Object.entries(docs).map(([file, doc]) => writeFile(join(dir, name, file), JSON.stringify(doc, null, 2))));
    }),
  );
  files.push(...splits.map((name) => join(dir, name, 'root.json')));
  let fixtures: Finding[];
  [contract, fixtures, redocly] = await Promise.all([
    spectral(['openapi/openapi.yaml']),
    spectral(files),
    run(bin('redocly'), ['lint', 'openapi/openapi.yaml', '--format=stylish']),
  ]);
  for (const file of files)
    byFixture.set(
      file,
      fixtures.filter((f) => f.source === file),
    );
  for (const name of splits)
    byFixture.set(
      name,
      fixtures.filter((f) => f.source?.startsWith(join(dir, name) + '/')),
    );
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the Spectral gate on the real contract', () => {
  it('reports no finding at any severity (errors, warnings, infos and hints)', () => {
    expect(contract.map((f) => `${f.code} ${f.source}#/${f.path.join('/')}: ${f.message}`)).toEqual([]);
  });

  it('also passes Redocly recommended-strict', () => {
    expect(redocly.code, redocly.stdout + redocly.stderr).toBe(0);
  });
});

describe('the Traceloom Spectral rules on fixtures', () => {
  it('accept the valid fixture (so each case below fails for its one defect)', () => {
    expect(ours(byFixture.get(join(dir, 'valid.json')) ?? [])).toEqual([]);
  });

  it.each(cases.map((c, i) => ({ ...c, i })))('$rule fires on $given', ({ i, rule, want }) => {
    const found = ours(byFixture.get(join(dir, `case-${i}.json`)) ?? []);
    expect(found.map((f) => f.message).join('\n')).toContain(want);
    expect(found.find((f) => f.message.includes(want))?.code).toBe(rule);
    expect(
      found.every((f) => f.severity <= 1),
      'Traceloom rules fail the gate',
    ).toBe(true);
  });
});

describe('the replacements for upstream rules that misread the split layout', () => {
  it('accept a valid split fixture: `$ref` path items and components that point at referenced files', () => {
    const found = (byFixture.get('split-valid') ?? []).filter(
      (f) => f.code.startsWith('traceloom-') || f.code === 'oas3-schema' || f.code === 'oas3-unused-component',
    );
    expect(found.map((f) => `${f.code}: ${f.message}`)).toEqual([]);
  });

  it.each(splitCases.map((c, i) => ({ ...c, i })))('$rule fires on $given', ({ i, rule, want, file }) => {
    const found = ours(byFixture.get(`split-${i}`) ?? []);
    const hit = found.find((f) => f.message.includes(want));
    expect(found.map((f) => f.message).join('\n')).toContain(want);
    expect(hit?.code).toBe(rule);
    expect(hit?.source).toBe(join(dir, `split-${i}`, file));
  });
});
