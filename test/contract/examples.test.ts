import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { resolveRef } from '../../src/contract/index.js';
import { contract } from './fixtures.js';

interface Found {
  where: string;
  schema: unknown;
  value: unknown;
}

/** Every example of the bundle with the schema it must satisfy. */
function collectExamples(doc: Record<string, any>): Found[] {
  const found: Found[] = [];
  const media = (where: string, mt: any) => {
    if (!mt?.schema) return;
    if ('example' in mt) found.push({ where: `${where} example`, schema: mt.schema, value: mt.example });
    for (const [name, ex] of Object.entries<any>(mt.examples ?? {})) {
      found.push({ where: `${where} examples.${name}`, schema: mt.schema, value: resolveRef(doc, ex).value });
    }
  };
  const withSchema = (where: string, node: any) => {
    const n = resolveRef(doc, node);
    if (n?.schema && 'example' in n) found.push({ where: `${where} example`, schema: n.schema, value: n.example });
  };
  for (const [name, s] of Object.entries<any>(doc.components.schemas)) {
    (s.examples ?? []).forEach((value: unknown, i: number) => found.push({ where: `schema ${name} examples[${i}]`, schema: s, value }));
  }
  for (const [name, h] of Object.entries<any>(doc.components.headers)) withSchema(`header ${name}`, h);
  for (const [name, p] of Object.entries<any>(doc.components.parameters)) withSchema(`parameter ${name}`, p);
  for (const [name, r] of Object.entries<any>(doc.components.responses)) {
    for (const [type, mt] of Object.entries<any>(r.content ?? {})) media(`response ${name} ${type}`, mt);
  }
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      const at = `${method.toUpperCase()} ${path}`;
      for (const [type, mt] of Object.entries<any>(resolveRef(doc, op.requestBody)?.content ?? {})) media(`${at} request ${type}`, mt);
      for (const [status, r] of Object.entries<any>(op.responses ?? {})) {
        for (const [type, mt] of Object.entries<any>(resolveRef(doc, r).content ?? {})) media(`${at} ${status} ${type}`, mt);
      }
    }
  }
  return found;
}

describe('contract examples', () => {
  it('every example validates against its schema (JSON Schema 2020-12, formats asserted)', async () => {
    const { document } = await contract();
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ components: document.components }, 'root');
    const rewrite = (s: unknown): unknown => JSON.parse(JSON.stringify(s).replace(/"#\/components\//g, '"root#/components/'));
    const examples = collectExamples(document);
    expect(examples.length).toBeGreaterThan(100);
    const failures: string[] = [];
    for (const ex of examples) {
      const validate = ajv.compile(rewrite(ex.schema) as object);
      if (!validate(ex.value)) failures.push(`${ex.where}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(failures).toEqual([]);
  });

  it('an invalid example is caught (the check can fail)', async () => {
    const { document } = await contract();
    const broken = structuredClone(document);
    broken.components.schemas.TraceId.examples = ['trace-1'];
    const ajv = new Ajv2020.default({ strict: false });
    addFormats.default(ajv);
    const bad = collectExamples(broken).find((e) => e.where === 'schema TraceId examples[0]')!;
    expect(ajv.validate(bad.schema as object, bad.value)).toBe(false);
  });

  it('every error response carries one named example per code, and the name is the code', async () => {
    const { document } = await contract();
    for (const [name, r] of Object.entries<any>(document.components.responses)) {
      const examples = r.content?.['application/problem+json']?.examples;
      if (!examples) continue;
      for (const [key, ex] of Object.entries<any>(examples)) expect(ex.value.code, `response ${name} example ${key}`).toBe(key);
    }
  });
});
