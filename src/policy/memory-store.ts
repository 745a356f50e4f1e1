/**
 * The embedded store (the default): one process, exact, synchronous under the hood, so every
 * evaluation is trivially atomic. Mirrors the Lua script of {@link RedisStore} step for step;
 * the shared store suite holds both to the same answers.
 * @module
 */
import type { MeterName } from '../contract/model.js';
import { counterFits, counterFreeAt, counterRemaining } from './counter.js';
import { USAGE_RETENTION_MS, monthOf, usageKey } from './keys.js';
import type { EvaluateRequest, EvaluateResult, LimiterKind, LimiterResult, LimiterSpec, PolicyStore } from './types.js';

/** The cells of one keys array, by limiter index (see {@link MemoryStore.evaluate}). */
type Handle = (Cell | undefined)[];

/** Float slack for GCRA comparisons with fractional emission intervals (ms). */
const EPS = 1e-6;

/** The ring of a sliding cell before its first stamp (never written: the first push grows it). */
const NO_STAMPS: number[] = [];

/**
 * The state of one limiter key. One class (one V8 shape) for every kind, each using its own
 * fields: a process runs several algorithms at once (the contract's `default` log, its GCRA
 * burst, `reads` windows), and one shape keeps the hot path's property loads monomorphic.
 * - fixed: `start` (the window start; it only moves forward: clock skew) and `count`;
 * - counter (sliding-window counter, see counter.ts): `start`, `count` (the current window's)
 *   and `prev` (the previous window's);
 * - sliding (exact log): the stamps of admitted requests in the ring buffer `ring` (`head`,
 *   `size`), `max(now, newest stamp)` each, so the log is sorted and a lagging clock never
 *   reopens it; `hw` is the newest. At most `limit` in any window (no approximation error);
 *   memory is one 8-byte stamp per admitted request still in the window;
 * - gcra: `tat` (theoretical arrival time) and `hw` (the latest clock reading seen: clock skew).
 * Every cell carries its key and kind (so a reference cached on a keys array can be checked
 * against the request), and `dead` once the sweep or a reset has dropped it from its map.
 */
class Cell {
  dead = false;
  exp = 0;
  start = -Infinity;
  count = 0;
  prev = 0;
  tat = -Infinity;
  hw = -Infinity;
  // A plain array (packed doubles): cheaper to allocate and grow than a typed array.
  ring: number[] = NO_STAMPS;
  head = 0;
  size = 0;
  constructor(
    readonly key: string,
    readonly kind: LimiterKind,
  ) {}
  at(i: number): number {
    const j = this.head + i;
    return this.ring[j >= this.ring.length ? j - this.ring.length : j]!;
  }
  evict(edge: number): void {
    const cap = this.ring.length;
    while (this.size > 0 && this.ring[this.head]! <= edge) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
  }
  push(t: number, limit: number): void {
    let cap = this.ring.length;
    if (this.size === cap) {
      const grown = new Array<number>(Math.max(cap * 2, Math.min(limit, 8), this.size + 1)).fill(0.5);
      for (let i = 0; i < this.size; i++) grown[i] = this.at(i);
      this.ring = grown;
      this.head = 0;
      cap = grown.length;
    }
    const j = this.head + this.size;
    this.ring[j >= cap ? j - cap : j] = t;
    this.size++;
    this.hw = t;
  }
}

export interface MemoryStoreOptions {
  /** Drop expired state at most this often (ms of the request clock). Default 10 s. */
  sweepIntervalMs?: number;
}

/** {@link PolicyStore} in process memory. Fast: no I/O, no allocation beyond the result. */
export class MemoryStore implements PolicyStore {
  private fixed = new Map<string, Cell>();
  private sliding = new Map<string, Cell>();
  private counter = new Map<string, Cell>();
  private gcra = new Map<string, Cell>();
  private usage = new Map<string, { exp: number; values: Map<MeterName, number> }>();
  private nextSweep = 0;
  private readonly sweepIntervalMs: number;
  // Per-call scratch (a store call is synchronous, so one buffer serves every call).
  private scratchT = new Float64Array(8);
  private scratchC = new Float64Array(8);
  private scratchP = new Float64Array(8);
  private scratchCells: (Cell | undefined)[] = [];
  /** This store's property on the keys arrays it is given: their cells (one store's cells never meet another's). */
  private readonly slot = Symbol('MemoryStore cells');

  constructor(options: MemoryStoreOptions = {}) {
    this.sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
  }

  evaluate(req: EvaluateRequest): EvaluateResult {
    const { now, specs, keys } = req;
    const n = specs.length;
    if (now >= this.nextSweep) this.sweep(now);
    if (this.scratchT.length < n) {
      this.scratchT = new Float64Array(n * 2);
      this.scratchC = new Float64Array(n * 2);
      this.scratchP = new Float64Array(n * 2);
    }
    const T = this.scratchT; // per limiter: its effective time (window start for fixed and counter)
    const C = this.scratchC; // per limiter: count before this request (fixed/sliding/counter) or TAT (gcra)
    const P = this.scratchP; // per limiter: the previous window's count (counter)
    const cells = this.scratchCells; // per limiter: its state as found in phase 1 (one lookup per key)
    const handle = this.handleOf(keys, n);
    let allowed = true;

    // Phase 1: check every limiter without consuming.
    for (let i = 0; i < n; i++) {
      const spec = specs[i]!;
      const key = keys[i]!;
      if (spec.kind === 'sliding') {
        const cell = this.find(this.sliding, key, 'sliding', handle, i);
        cells[i] = cell;
        const t = cell !== undefined && cell.hw > now ? cell.hw : now;
        let count = 0;
        if (cell !== undefined) {
          cell.evict(t - spec.windowMs);
          count = cell.size;
        }
        T[i] = t;
        C[i] = count;
        if (count >= spec.limit) allowed = false;
      } else if (spec.kind === 'fixed') {
        const cell = this.find(this.fixed, key, 'fixed', handle, i);
        cells[i] = cell;
        let start = Math.floor(now / spec.windowMs) * spec.windowMs;
        let count = 0;
        if (cell !== undefined) {
          if (cell.start > start) start = cell.start; // a lagging clock joins the newer window
          if (cell.start === start) count = cell.count;
        }
        T[i] = start;
        C[i] = count;
        if (count >= spec.limit) allowed = false;
      } else if (spec.kind === 'counter') {
        const cell = this.find(this.counter, key, 'counter', handle, i);
        cells[i] = cell;
        const w = spec.windowMs;
        let start = Math.floor(now / w) * w;
        let cur = 0;
        let prev = 0;
        if (cell !== undefined) {
          if (cell.start > start) start = cell.start; // a lagging clock joins the newer window
          if (cell.start === start) {
            cur = cell.count;
            prev = cell.prev;
          } else if (cell.start === start - w) {
            prev = cell.count;
          }
        }
        T[i] = start;
        C[i] = cur;
        P[i] = prev;
        if (!counterFits(spec.limit, w, cur, prev, now > start ? now - start : 0, 1)) allowed = false;
      } else {
        const cell = this.find(this.gcra, key, 'gcra', handle, i);
        cells[i] = cell;
        const t = cell !== undefined && cell.hw > now ? cell.hw : now;
        const tat = cell !== undefined && cell.tat > t ? cell.tat : t;
        T[i] = t;
        C[i] = tat;
        if (tat + spec.windowMs / spec.limit - t > spec.windowMs + EPS) allowed = false;
      }
    }

    // Phase 2: consume all (only if all admit), and report each limiter's state.
    const consume = allowed && req.consume;
    const limiters: LimiterResult[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const spec = specs[i]!;
      const key = keys[i]!;
      const t = T[i]!;
      if (spec.kind === 'sliding') {
        let cell = cells[i];
        const count = C[i]!;
        if (consume) {
          if (cell === undefined) {
            cell = new Cell(key, 'sliding');
            this.sliding.set(key, cell);
            if (handle !== null) handle[i] = cell;
          }
          cell.push(t, spec.limit);
          cell.exp = t + spec.windowMs;
        }
        const after = consume ? count + 1 : count;
        // resetAt: the expiry of the entry whose departure brings the count below the limit (or frees a unit)
        limiters[i] = result(
          spec,
          count < spec.limit,
          Math.max(0, spec.limit - after),
          after === 0 ? Math.ceil(t) : Math.ceil(cell!.at(Math.max(0, after - spec.limit)) + spec.windowMs),
        );
      } else if (spec.kind === 'fixed') {
        const count = C[i]!;
        if (consume) {
          let cell = cells[i];
          if (cell === undefined) {
            cell = new Cell(key, 'fixed');
            this.fixed.set(key, cell);
            if (handle !== null) handle[i] = cell;
          }
          cell.start = t;
          cell.count = count + 1;
          cell.exp = t + spec.windowMs;
        }
        const after = consume ? count + 1 : count;
        limiters[i] = result(spec, count < spec.limit, Math.max(0, spec.limit - after), Math.ceil(t + spec.windowMs));
      } else if (spec.kind === 'counter') {
        limiters[i] = this.counterResult(spec, key, cells[i], now, t, C[i]!, P[i]!, consume, handle, i);
      } else {
        limiters[i] = this.gcraResult(spec, key, cells[i], t, C[i]!, consume, handle, i);
      }
    }

    let usage: number[] = EMPTY;
    if (req.usageKey !== null && req.meters.length > 0) {
      const values = this.usage.get(req.usageKey)?.values;
      usage = req.meters.map((m) => values?.get(m) ?? 0);
    }
    return { allowed, limiters, usage };
  }

  /**
   * The cells of a keys array: kept on the array itself (under this store's symbol), so a request
   * whose keys `decide` took from its key cache finds its cells without a Map lookup. null for an
   * array that cannot take a property (frozen); then every lookup goes to the Map.
   */
  private handleOf(keys: readonly string[], n: number): Handle | null {
    const keyed = keys as readonly string[] & { [slot: symbol]: Handle | undefined };
    const handle = keyed[this.slot];
    if (handle !== undefined) return handle;
    if (n === 0 || !Object.isExtensible(keys)) return null;
    return (keyed[this.slot] = new Array<Cell | undefined>(n));
  }

  /**
   * The live cell of `key`: the handle's, when it is the same key and kind and still in its map
   * (the sweep and reset mark dropped cells dead), else the map's (remembered in the handle).
   * A map holds at most one live cell per key, so both ways find the same one.
   */
  private find(map: Map<string, Cell>, key: string, kind: LimiterKind, handle: Handle | null, i: number): Cell | undefined {
    if (handle !== null) {
      const cached = handle[i];
      if (cached !== undefined && cached.key === key && cached.kind === kind && !cached.dead) return cached;
    }
    const found = map.get(key);
    if (handle !== null) handle[i] = found;
    return found;
  }

  private counterResult(
    spec: LimiterSpec,
    key: string,
    found: Cell | undefined,
    now: number,
    start: number,
    cur: number,
    prev: number,
    consume: boolean,
    handle: Handle | null,
    i: number,
  ): LimiterResult {
    const { limit, windowMs } = spec;
    const t = now > start ? now : start;
    const elapsed = t - start;
    const admitted = counterFits(limit, windowMs, cur, prev, elapsed, 1);
    const after = consume ? cur + 1 : cur;
    if (consume) {
      let cell = found;
      if (cell === undefined) {
        cell = new Cell(key, 'counter');
        this.counter.set(key, cell);
        if (handle !== null) handle[i] = cell;
      }
      cell.start = start;
      cell.count = after;
      cell.prev = prev;
      cell.exp = start + 2 * windowMs; // the count still weighs in the next window
    }
    const remaining = counterRemaining(limit, windowMs, after, prev, elapsed);
    const resetAt = remaining >= limit ? t : counterFreeAt(limit, windowMs, start, t, after, prev, remaining + 1);
    return result(spec, admitted, remaining, Math.ceil(resetAt));
  }

  private gcraResult(
    spec: LimiterSpec,
    key: string,
    found: Cell | undefined,
    t: number,
    tat: number,
    consume: boolean,
    handle: Handle | null,
    i: number,
  ): LimiterResult {
    const tau = spec.windowMs;
    const interval = tau / spec.limit;
    const admitted = tat + interval - t <= tau + EPS;
    let after = tat;
    if (consume) {
      after = tat + interval;
      let cell = found;
      if (cell === undefined) {
        cell = new Cell(key, 'gcra');
        this.gcra.set(key, cell);
        if (handle !== null) handle[i] = cell;
      }
      cell.tat = after;
      cell.hw = t;
      cell.exp = after;
    }
    const remaining = Math.min(spec.limit, Math.max(0, Math.floor((tau - (after - t)) / interval + EPS)));
    // the next whole token (for a refused bucket: exactly when it admits again)
    const resetAt = remaining >= spec.limit ? t : after - tau + (remaining + 1) * interval;
    return result(spec, admitted, remaining, Math.ceil(resetAt - EPS));
  }

  private sweep(now: number): void {
    this.nextSweep = now + this.sweepIntervalMs;
    for (const map of this.limiterMaps()) {
      for (const [key, cell] of map) {
        if (cell.exp > now) continue;
        cell.dead = true;
        map.delete(key);
      }
    }
    for (const [key, entry] of this.usage) if (entry.exp <= now) this.usage.delete(key);
  }

  private limiterMaps(): Map<string, Cell>[] {
    return [this.fixed, this.sliding, this.counter, this.gcra];
  }

  private usageValues(tenantId: string, nowMs: number): Map<MeterName, number> {
    const key = usageKey(tenantId, nowMs);
    let entry = this.usage.get(key);
    if (entry === undefined) {
      entry = { exp: monthOf(nowMs).end + USAGE_RETENTION_MS, values: new Map() };
      this.usage.set(key, entry);
    }
    return entry.values;
  }

  async recordUsage(tenantId: string, deltas: Readonly<Record<MeterName, number>>, nowMs: number): Promise<Record<MeterName, number>> {
    const values = this.usageValues(tenantId, nowMs);
    const out: Record<MeterName, number> = {};
    for (const [meter, delta] of Object.entries(deltas)) {
      const total = (values.get(meter) ?? 0) + delta;
      values.set(meter, total);
      out[meter] = total;
    }
    return out;
  }

  getUsage(tenantId: string, meters: readonly MeterName[], nowMs: number): Record<MeterName, number> {
    const values = this.usage.get(usageKey(tenantId, nowMs))?.values;
    const out: Record<MeterName, number> = {};
    for (const m of meters) out[m] = values?.get(m) ?? 0;
    return out;
  }

  async setUsage(tenantId: string, values: Readonly<Record<MeterName, number>>, nowMs: number): Promise<void> {
    const target = this.usageValues(tenantId, nowMs);
    for (const [meter, value] of Object.entries(values)) target.set(meter, value);
  }

  /** Limiter and usage entries held (expired ones go at the next sweep). */
  get size(): number {
    return this.fixed.size + this.sliding.size + this.counter.size + this.gcra.size + this.usage.size;
  }

  async reset(): Promise<void> {
    for (const map of this.limiterMaps()) {
      for (const cell of map.values()) cell.dead = true;
      map.clear();
    }
    this.usage.clear();
  }

  async close(): Promise<void> {
    await this.reset();
  }
}

const EMPTY = Object.freeze([]) as unknown as number[];

function result(spec: LimiterSpec, admitted: boolean, remaining: number, resetAt: number): LimiterResult {
  return { name: spec.name, limit: spec.limit, remaining, resetAt, windowSeconds: spec.windowSeconds, admitted };
}
