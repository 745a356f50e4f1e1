/**
 * JSON Schema → fast-check arbitrary, for the subset the contract uses: object (required,
 * optional, `additionalProperties` as a schema, `propertyNames`, min/maxProperties), array
 * (min/maxItems, uniqueItems), string (pattern, enum, const, min/maxLength, formats date-time,
 * uri, uri-reference, ipv4), integer/number bounds, boolean, `$ref` into components, `allOf`,
 * and type arrays with `null`. Generated values are kept small (a few items, short strings) so
 * thousands of requests stay fast; every value must pass the contract's own schema (checked by
 * test/fuzz/generator.test.ts). Arbitraries, not samples, so fast-check can shrink a failure.
 * @module
 */
import fc from 'fast-check';
import type { OpenApiDocument } from '../../src/contract/index.js';

type Schema = Record<string, any>;

/** Values to mix in for a `$ref` (ids that exist on the target), keyed by the ref string. */
export type Hints = Record<string, readonly unknown[]>;

export interface ArbitraryOptions {
  /** Most items generated for an array (the schema's `maxItems` still applies). Default 3. */
  maxItems?: number;
  /** Longest string generated where the schema allows longer. Default 40. */
  maxLength?: number;
  hints?: Hints;
}

const MIN_DATE = Date.UTC(2000, 0, 1);
const MAX_DATE = Date.UTC(2099, 11, 31);

/** Resolves a local `$ref` (`#/components/…`) against the bundled document. */
export function deref(document: OpenApiDocument, schema: Schema): Schema {
  let s = schema;
  for (let i = 0; s && typeof s.$ref === 'string' && i < 20; i++) {
    s = s.$ref
      .slice(2)
      .split('/')
      .map((t: string) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((node: any, token: string) => node?.[token], document);
  }
  if (!s) throw new Error(`unresolvable $ref ${schema.$ref}`);
  return s;
}

/** One object schema from an `allOf` (properties and required merged; the contract's allOf are plain extensions). */
function mergeAllOf(document: OpenApiDocument, schema: Schema): Schema {
  const { allOf, ...rest } = schema;
  const merged: Schema = { ...rest, type: 'object', properties: {}, required: [] };
  for (const part of [rest, ...(allOf as Schema[])].map((p) => deref(document, p))) {
    const resolved = part.allOf ? mergeAllOf(document, part) : part;
    Object.assign(merged.properties, resolved.properties ?? {});
    merged.required.push(...(resolved.required ?? []));
    if (resolved.additionalProperties !== undefined) merged.additionalProperties = resolved.additionalProperties;
  }
  return merged;
}

/** An RFC 3339 timestamp, in the shapes clients send (Z or an offset, with or without fractions). */
function dateTime(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: MIN_DATE, max: MAX_DATE }), fc.constantFrom('Z', '+00:00', '+02:00', '-05:30'), fc.boolean())
    .map(([ms, zone, fraction]) => {
      const offsetMin = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
      const local = new Date(ms + offsetMin * 60_000).toISOString();
      const body = fraction ? local.slice(0, -1) : local.slice(0, 19);
      return `${body}${zone}`;
    });
}

function stringOf(schema: Schema, opts: Required<Omit<ArbitraryOptions, 'hints'>>): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.max(min, Math.min(schema.maxLength ?? opts.maxLength, opts.maxLength));
  const fits = (s: string) => [...s].length >= min && [...s].length <= (schema.maxLength ?? Infinity);
  if (schema.format === 'date-time') return dateTime();
  if (schema.format === 'uri') return fc.webUrl({ size: 'small' }).filter(fits);
  if (schema.format === 'uri-reference')
    return fc
      .oneof(
        fc.webUrl({ size: 'small' }),
        fc.webPath({ size: 'small' }).map((p) => p || '/'),
      )
      .filter(fits);
  if (schema.format === 'ipv4') return fc.ipV4();
  if (schema.format === 'binary') return fc.string({ maxLength: max });
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern), { size: 'small' }).filter(fits);
  return fc.string({ unit: 'binary', minLength: min, maxLength: max });
}

function numberOf(schema: Schema): fc.Arbitrary<number> {
  const integer = schema.type === 'integer';
  let min: number = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum : -1e9);
  let max: number = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum : 1e9);
  if (!integer) {
    const base = fc.double({
      min,
      max,
      noNaN: true,
      noDefaultInfinity: true,
      minExcluded: schema.exclusiveMinimum !== undefined,
      maxExcluded: schema.exclusiveMaximum !== undefined,
    });
    // -0 serialises as 0; keep it out so the sent value is the generated one.
    return base.map((n) => (Object.is(n, -0) ? 0 : n));
  }
  if (schema.exclusiveMinimum !== undefined) min += 1;
  if (schema.exclusiveMaximum !== undefined) max -= 1;
  if (schema.format === 'int32') {
    min = Math.max(min, -2147483648);
    max = Math.min(max, 2147483647);
  }
  min = Math.max(min, Number.MIN_SAFE_INTEGER);
  max = Math.min(max, Number.MAX_SAFE_INTEGER);
  if (min >= -2147483648 && max <= 2147483647) return fc.integer({ min, max });
  return fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);
}

/** The arbitrary for `schema` (which may be a `$ref`) in `document`. */
export function arbitraryOf(document: OpenApiDocument, schema: Schema, options: ArbitraryOptions = {}): fc.Arbitrary<unknown> {
  const opts = { maxItems: options.maxItems ?? 3, maxLength: options.maxLength ?? 40 };
  const hints = options.hints ?? {};
  const cache = new Map<Schema, fc.Arbitrary<unknown>>();

  function build(node: Schema, depth: number): fc.Arbitrary<unknown> {
    // OTLP's request nests ~16 levels (request → spans → attributes → AnyValue → arrays), counting each $ref hop.
    if (depth > 24) throw new Error('schema nests deeper than 24 levels; is it recursive?');
    const hit = cache.get(node);
    if (hit) return hit;
    let arb = raw(node, depth);
    if (typeof node.$ref === 'string' && hints[node.$ref]?.length) {
      // Ids that exist on the target, so generated requests reach the 2xx paths too.
      arb = fc.oneof({ arbitrary: arb, weight: 1 }, { arbitrary: fc.constantFrom(...hints[node.$ref]!), weight: 2 });
    }
    cache.set(node, arb);
    return arb;
  }

  function raw(node: Schema, depth: number): fc.Arbitrary<unknown> {
    const s = node.$ref ? deref(document, node) : node;
    if (s !== node) return build(s, depth + 1);
    if (s.allOf) return build(mergeAllOf(document, s), depth + 1);
    if (s.const !== undefined) return fc.constant(s.const);
    if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
    if (Array.isArray(s.type)) {
      const types = (s.type as string[]).filter((t) => t !== 'null');
      const nonNull = types.map((type) => build({ ...s, type }, depth + 1));
      return s.type.includes('null') ? fc.oneof(fc.constant(null), ...nonNull) : fc.oneof(...nonNull);
    }
    switch (s.type) {
      case 'string':
        return stringOf(s, opts);
      case 'integer':
      case 'number':
        return numberOf(s);
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array': {
        const item = build(s.items ?? {}, depth + 1);
        const minLength = s.minItems ?? 0;
        const maxLength = Math.max(minLength, Math.min(s.maxItems ?? opts.maxItems, opts.maxItems));
        return s.uniqueItems ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) }) : fc.array(item, { minLength, maxLength });
      }
      case 'object':
      case undefined:
        return objectOf(s, depth);
      default:
        throw new Error(`schema type ${String(s.type)} is not supported by the fuzz generator; extend test/fuzz/schema.ts`);
    }
  }

  function objectOf(s: Schema, depth: number): fc.Arbitrary<unknown> {
    const properties: Record<string, Schema> = s.properties ?? {};
    const required = new Set<string>(s.required ?? []);
    const names = Object.keys(properties);
    const maxProps = s.maxProperties ?? Infinity;
    if (names.length === 0 && s.additionalProperties && typeof s.additionalProperties === 'object') {
      const keys = s.propertyNames ? stringOf({ type: 'string', ...s.propertyNames }, opts) : fc.string({ minLength: 1, maxLength: 20 });
      return fc.dictionary(keys, build(s.additionalProperties, depth + 1), { minKeys: s.minProperties ?? 0, maxKeys: Math.min(maxProps, opts.maxItems) });
    }
    const model = Object.fromEntries(names.map((n) => [n, build(properties[n]!, depth + 1)]));
    if (required.size === 0 && maxProps < names.length) {
      // A "one of these members" object (OTLP AnyValue: maxProperties 1): choose the members first,
      // rather than filtering records that almost never satisfy maxProperties.
      const minProps = s.minProperties ?? 0;
      return fc
        .shuffledSubarray(names, { minLength: minProps, maxLength: maxProps })
        .chain((chosen) => fc.record(Object.fromEntries(chosen.map((n) => [n, model[n]!]))));
    }
    let arb: fc.Arbitrary<Record<string, unknown>> = fc.record(model, { requiredKeys: names.filter((n) => required.has(n)) });
    if (s.minProperties !== undefined || s.maxProperties !== undefined) {
      arb = arb.filter((o) => Object.keys(o).length >= (s.minProperties ?? 0) && Object.keys(o).length <= maxProps);
    }
    return arb;
  }

  return build(schema, 0);
}
