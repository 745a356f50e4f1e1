/** `addSpans` (for OTLP ingest): a trace sent in parts is merged, duplicate span ids ignored, atomically. */
import { describe, expect, it } from 'vitest';
import { loadContract } from '../../src/contract/index.js';
import { addSpans } from '../../src/mock/index.js';
import { MemoryStateStore } from '../../src/mock/store/index.js';
import { MemoryStore } from '../../src/policy/index.js';

const span = (id: string, start: string) => ({
  span_id: id,
  name: id,
  kind: 'llm' as const,
  start_time: start,
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

describe('addSpans', () => {
  it('creates the trace, then merges new spans, ignores ones it holds, and widens the time range', async () => {
    const { model } = await loadContract();
    const state = new MemoryStateStore();
    await state.seed({ id: 'ten_a', plan: 'team', projects: [], keys: [] }, false);
    const ctx = { state, policy: new MemoryStore(), model, now: () => Date.parse('2026-03-03T12:00:00Z'), version: '1' };
    const part = (spans: ReturnType<typeof span>[], start: string, end: string) => ({
      trace_id: 'tr_parts',
      name: 'n',
      start_time: start,
      end_time: end,
      spans,
    });
    expect(await addSpans(ctx, 'ten_a', 'prj_a', part([span('sp_1', '2026-03-03T12:00:01Z')], '2026-03-03T12:00:01Z', '2026-03-03T12:00:02Z'))).toEqual({
      created: true,
      added: 1,
      duplicates: 0,
    });
    const parts = await Promise.all([
      addSpans(
        ctx,
        'ten_a',
        'prj_a',
        part([span('sp_1', '2026-03-03T12:00:01Z'), span('sp_2', '2026-03-03T12:00:00Z')], '2026-03-03T12:00:00Z', '2026-03-03T12:00:03Z'),
      ),
      addSpans(ctx, 'ten_a', 'prj_a', part([span('sp_3', '2026-03-03T12:00:02Z')], '2026-03-03T12:00:02Z', '2026-03-03T12:00:05Z')),
    ]);
    expect(parts).toEqual([
      { created: false, added: 1, duplicates: 1 },
      { created: false, added: 1, duplicates: 0 },
    ]);
    const t = (await state.get('ten_a', 'traces', 'tr_parts'))!;
    expect([t.spans.map((s) => s.span_id).sort(), t.span_count, t.total_tokens, t.start_time, t.end_time, t.duration_ms]).toEqual([
      ['sp_1', 'sp_2', 'sp_3'],
      3,
      6,
      '2026-03-03T12:00:00Z',
      '2026-03-03T12:00:05Z',
      5000,
    ]);
  });
});
