/**
 * Memory per stored trace in the shared state (RedisStateStore on a real redis-server): stores N
 * traces of S spans for one tenant and reads `used_memory` before and after.
 * Run: npx tsx bench/state-memory.ts [N=5000]
 */
import { Redis } from 'ioredis';
import { startRedisServer } from './lib/redis-server.js';
import { RedisStateStore, type TraceDoc } from '../src/mock/store/index.js';

const n = Number(process.argv[2] ?? 5000);
const redis = await startRedisServer();
const store = new RedisStateStore({ url: redis.url });
const admin = new Redis(redis.url);
await store.ready();
const used = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
const at = '2026-03-03T12:00:00.000Z';
const trace = (t: number, spans: number): TraceDoc => ({
  id: `tr_${t.toString(16).padStart(16, '0')}`,
  project_id: 'prj_main',
  name: 'answer question',
  status: 'ok',
  start_time: at,
  end_time: at,
  duration_ms: 1200,
  span_count: spans,
  total_tokens: 900,
  cost_usd: 0.0012,
  tags: ['prod'],
  created_at: at,
  spans: Array.from({ length: spans }, (_, i) => ({
    span_id: `sp_${t.toString(16)}${i}`,
    name: `step ${i}`,
    kind: 'llm' as const,
    start_time: at,
    end_time: at,
    model: 'gpt-4o-mini',
    status: 'ok' as const,
    usage: { prompt_tokens: 60, completion_tokens: 30, total_tokens: 90 },
  })),
});
for (const spans of [0, 10]) {
  const tenant = `ten_mem${spans}`;
  await store.seed({ id: tenant, plan: 'team', projects: [], keys: [] }, true);
  const before = await used();
  for (let i = 0; i < n; i += 100)
    await Promise.all(Array.from({ length: 100 }, (_, j) => store.insert(tenant, 'traces', trace(i + j, spans).id, trace(i + j, spans))));
  const json = JSON.stringify(trace(0, spans)).length;
  console.log(
    `${spans} spans: ${Math.round(((await used()) - before) / n)} bytes per trace in Redis (JSON ${json} bytes + hash field + sorted-set entry), ${n} traces`,
  );
}
admin.disconnect();
await store.close();
await redis.dispose();
