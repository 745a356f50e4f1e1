/**
 * Type tests for the SDK, checked by `npm run typecheck`: the client is openapi-fetch typed with
 * the contract's `paths`, the facade's arguments and results come from the same types.
 */
import { createClient, toTraceloomError, unwrap, type TraceloomError } from '../../src/client/index.js';
import type { components } from '../../generated/types.js';

const client = createClient({ apiKey: 'tl_test_x', baseUrl: 'http://127.0.0.1:4010' });
type TraceList = components['schemas']['TraceList'];

export async function typedCalls(): Promise<void> {
  // The openapi-fetch shape: {data, error, response}, typed by path and method.
  const { data, error, response } = await client.GET('/v1/traces', { params: { query: { limit: 10 } } });
  const list: TraceList | undefined = data;
  const err: TraceloomError | undefined = toTraceloomError({ data, error, response });
  void list;
  void err;

  // @ts-expect-error `/v1/trace` is not a path of the contract
  await client.GET('/v1/trace');
  // @ts-expect-error `limit` is an integer
  await client.GET('/v1/traces', { params: { query: { limit: 'ten' } } });
  // @ts-expect-error GET /v1/traces/{trace_id} needs its path parameter
  await client.GET('/v1/traces/{trace_id}', {});
  // @ts-expect-error a batch needs `traces`
  await client.POST('/v1/ingest/batch', { body: {} });

  // unwrap gives the success body, `undefined` for a 204.
  const traces: TraceList = unwrap(await client.GET('/v1/traces'));
  const deleted: undefined = await client.traces.delete('tr_1');
  void traces;
  void deleted;

  // The facade: positional path parameters, then body, then query.
  const page: TraceList = await client.traces.list({ limit: 5 });
  const project = await client.projects.update('prj_1', { name: 'renamed' });
  const status: 'active' | 'archived' = project.status;
  void page;
  void status;
  // @ts-expect-error projects.update takes the project id first
  await client.projects.update({ name: 'renamed' });

  // The batcher takes ingest traces; results are counted, not returned.
  const queued: boolean = client.ingest({ trace_id: 'tr_1', name: 'n', start_time: '2026-03-03T12:00:00Z', status: 'ok', spans: [] });
  void queued;
  // @ts-expect-error a trace needs its spans
  client.ingest({ trace_id: 'tr_1', name: 'n', start_time: '2026-03-03T12:00:00Z', status: 'ok' });
  const dropped: number = client.stats().dropped;
  void dropped;
}
