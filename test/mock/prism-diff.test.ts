/**
 * Differential check: for valid requests with `Prefer: code=<2xx>` the mock answers the same
 * status and example body as the Prism CLI serving the same bundle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract, resolveRef, type OpenApiDocument } from '../../src/contract/index.js';
import { createMock, type MockServer } from '../../src/mock/index.js';
import { startPrismCli, type PrismCli } from '../support/prism-cli.js';

const KEY = 'tl_test_team_0000000000000000000000001';

interface Probe {
  name: string;
  method: string;
  path: string;
  code: string;
  body?: unknown;
  auth: boolean;
}

function probes(doc: OpenApiDocument): Probe[] {
  const out: Probe[] = [];
  for (const [template, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      const code = Object.keys(op.responses).find((c) => c.startsWith('2'))!;
      let path = template;
      for (const p of (op.parameters ?? []).map((x: unknown) => resolveRef(doc, x))) {
        if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(p.example));
      }
      const media = resolveRef(doc, op.requestBody)?.content?.['application/json'];
      out.push({
        name: `${method.toUpperCase()} ${template} → ${code}`,
        method: method.toUpperCase(),
        path,
        code,
        body: media?.example,
        auth: (op.security ?? doc.security).length > 0,
      });
    }
  }
  return out;
}

describe('the mock agrees with the Prism CLI on Prefer: code=2xx', async () => {
  const { document } = await loadContract();
  const cases = probes(document);
  let prism: PrismCli;
  let mock: MockServer;
  beforeAll(async () => {
    [prism, mock] = await Promise.all([startPrismCli(), createMock({ port: 0, log: false })]);
  }, 60_000);
  afterAll(async () => {
    await mock?.close();
    await prism?.close();
  });

  it('covers every operation', () => {
    expect(cases.length).toBe(Object.values(document.paths).reduce((n: number, item: any) => n + Object.keys(item).length, 0));
  });

  it.each(cases)('$name', async ({ method, path, code, body, auth }) => {
    const headers: Record<string, string> = { prefer: `code=${code}` };
    if (auth) headers.authorization = `Bearer ${KEY}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const send = (base: string) => fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const [theirs, ours] = await Promise.all([send(prism.url), send(mock.url)]);
    const [theirBody, ourBody] = await Promise.all([theirs.text(), ours.text()]);
    expect(ours.status).toBe(theirs.status);
    expect(ours.status).toBe(Number(code));
    expect(ourBody ? JSON.parse(ourBody) : undefined).toEqual(theirBody ? JSON.parse(theirBody) : undefined);
  });
});
