/**
 * Pacing: one small gate per client that remembers, per rate-limit policy, how many requests the
 * server said remain and when its window resets, and holds requests back when none remain —
 * instead of sending a request it knows will be refused (DESIGN §6).
 *
 * Per policy, not per client: an exhausted `ai` policy (20 per hour) must not stall ingest.
 * States: `probing` (nothing known yet, or an exhausted window has reset: one request goes first
 * and its response tells the others how many may follow, so a crowd of callers does not
 * stampede), `counted` (`remaining` left until `resetAt`: each send takes one), `open` (the
 * server sent no rate-limit headers for it, or the window reset with quota left: send).
 * When the server names the policy's quota and window (`RateLimit-Policy`), our own answered
 * requests (own-log.ts) tell when a unit frees inside an exhausted window, one request at a
 * time — unless the server counts more than we sent (a shared key), then only `t` is trusted.
 * @module
 */
import { retryAfterSeconds } from './errors.js';
import { parseLegacyRateLimit, parseRateLimit, parseRateLimitPolicy } from './headers.js';
import { OwnLog } from './own-log.js';

interface PolicyState {
  mode: 'open' | 'counted' | 'probing';
  /**
   * The lowest `remaining` the server reported until `resetAt`: answers can arrive in another
   * order than the server counted their requests (separate connections, a busy event loop), and
   * until the reset the server's count only grows, so the lowest figure is the newest.
   */
  remaining: number;
  resetAt: number;
  /** Requests of this policy sent and not yet answered: the server may not have counted them. */
  inflight: number;
  /** The request sent as the probe of a `probing` window, if any. */
  probe: Ticket | null;
  /** `q` and `w` (ms) from `RateLimit-Policy`, when the server sends it. */
  quota: number | null;
  windowMs: number | null;
  /** Our answered requests that the server counted (see own-log.ts). */
  own: OwnLog;
  /** The mirror is trusted from this time on: not while the key's quota is shared with someone else. */
  mirrorFrom: number;
}

/** A request admitted by the gate; hand it back with {@link PacingGate.observe} or {@link PacingGate.abandon}. */
export interface Ticket {
  readonly seq: number;
  readonly policies: readonly string[];
  /** When the gate let it go (epoch ms). */
  readonly at: number;
}

/** The per-client pacing gate; `now` is injectable for tests. */
export class PacingGate {
  readonly #states = new Map<string, PolicyState>();
  readonly #waiters = new Set<() => void>();
  #seq = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Waits until every policy in `policies` (and each companion the server has named, such as
   * `default.burst`) may admit one more request, then takes it. Past
   * `deadline` (epoch ms) it stops waiting and lets the request go: the server then answers
   * for itself, and the retry layer decides what to do with its 429.
   */
  async acquire(policies: readonly string[], deadline: number, signal?: AbortSignal): Promise<Ticket> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      let until = 0;
      let probeOut = false;
      const names = this.#withCompanions(policies);
      for (const name of names) {
        const s = this.#state(name);
        if (s.mode === 'counted' && now >= s.resetAt) {
          s.mode = s.remaining - s.inflight > 0 ? 'open' : 'probing';
          s.probe = null;
        }
        if (s.mode === 'counted' && s.remaining - s.inflight <= 0) {
          // The server says none remain until `resetAt`; our own log may know that one frees sooner.
          const frees = this.#mirror(s, now);
          if (frees !== 0) until = Math.max(until, frees === null ? s.resetAt : Math.min(s.resetAt, frees));
        }
        if (s.mode === 'probing' && s.probe && this.#mirror(s, now) !== 0) probeOut = true;
      }
      if ((until === 0 && !probeOut) || now >= deadline || until > deadline) return this.#take(names);
      await this.#wait((until || deadline) - now, signal);
    }
  }

  /** Learns from a response (RateLimit, else X-RateLimit-*, else Retry-After on 429/503). */
  observe(ticket: Ticket, response: Response): void {
    this.#land(ticket);
    const now = this.now();
    const { headers } = response;
    const described = new Set<string>();
    const learn = (name: string, remaining: number, resetAt: number) => {
      described.add(name);
      const s = this.#state(name);
      if (s.probe === ticket) s.probe = null;
      // Until the reset the server's count only grows: a higher figure from a request sent before
      // it is an older count arriving late (after the reset, only requests sent after it speak).
      if (ticket.at < s.resetAt && remaining > s.remaining) return;
      s.mode = 'counted';
      s.remaining = remaining;
      s.resetAt = resetAt;
    };

    const items = parseRateLimit(headers.get('ratelimit'));
    const legacy = items.length ? null : parseLegacyRateLimit(headers);
    const retryAfter = response.status === 429 || response.status === 503 ? retryAfterSeconds(headers, now) : null;
    for (const p of parseRateLimitPolicy(headers.get('ratelimit-policy'))) {
      const s = this.#state(p.policy);
      s.quota = p.quota;
      s.windowMs = p.windowSeconds * 1000;
    }
    // A refused request took no quota; any other answer may have.
    if (response.status !== 429) this.#logAnswer(ticket, now);
    if (items.length) {
      for (const item of items) {
        learn(item.policy, item.remaining, now + item.resetSeconds * 1000);
        this.#check(this.#states.get(item.policy)!, ticket, item.remaining, response.status, now);
      }
    } else if (legacy) {
      // The legacy family describes the most restrictive policy without naming it: apply it to all of this request's.
      const windowMs = (legacy.windowSeconds ?? 1) * 1000;
      const resetAt = Math.min(Math.max(legacy.resetAtMs ?? now + windowMs, now), now + windowMs);
      for (const name of ticket.policies) learn(name, legacy.remaining, resetAt);
    } else if (retryAfter !== null && response.status === 429) {
      for (const name of ticket.policies) learn(name, 0, now + retryAfter * 1000);
    }
    // A probe whose response says nothing about its policy: the policy is not limited any more.
    for (const name of ticket.policies) {
      const s = this.#states.get(name);
      if (s?.probe === ticket && !described.has(name)) {
        s.mode = 'open';
        s.probe = null;
      }
    }
    this.#notify();
  }

  /** Returns a ticket whose request got no response (network error, timeout, abort). */
  abandon(ticket: Ticket): void {
    this.#land(ticket);
    this.#logAnswer(ticket, this.now()); // the server may have counted it
    for (const name of ticket.policies) {
      const s = this.#states.get(name);
      if (s?.probe === ticket) s.probe = null; // the next waiter probes instead
    }
    this.#notify();
  }

  /** What the gate currently believes, per policy (for tests and debugging). */
  snapshot(): Record<string, { mode: string; remaining: number; resetAt: number }> {
    return Object.fromEntries(
      [...this.#states].map(([name, s]) => [name, { mode: s.mode, remaining: Math.max(0, s.remaining - s.inflight), resetAt: s.resetAt }]),
    );
  }

  /**
   * The operation's policies from the contract plus the companions the server has described for
   * them (`default.burst`: the burst allowance the plan adds to `default`, DESIGN §4). The contract
   * names only `default`; the plan decides whether a companion applies, so we learn it from the
   * answers.
   */
  #withCompanions(policies: readonly string[]): readonly string[] {
    let names: string[] | null = null;
    for (const known of this.#states.keys()) {
      if (policies.includes(known) || !policies.some((p) => known.startsWith(`${p}.`))) continue;
      (names ??= [...policies]).push(known);
    }
    return names ?? policies;
  }

  #take(policies: readonly string[]): Ticket {
    const ticket: Ticket = { seq: ++this.#seq, policies, at: this.now() };
    for (const name of policies) {
      const s = this.#state(name);
      s.inflight++;
      if (s.mode === 'probing' && !s.probe) s.probe = ticket;
    }
    return ticket;
  }

  /** The request got an answer or failed: it is no longer in flight. */
  #land(ticket: Ticket): void {
    for (const name of ticket.policies) {
      const s = this.#states.get(name);
      if (s) s.inflight = Math.max(0, s.inflight - 1);
    }
  }

  #state(name: string): PolicyState {
    let s = this.#states.get(name);
    if (!s) {
      // Nothing known yet: the first request probes, so a burst of first calls does not stampede.
      s = { mode: 'probing', remaining: 0, resetAt: 0, inflight: 0, probe: null, quota: null, windowMs: null, own: new OwnLog(), mirrorFrom: 0 };
      this.#states.set(name, s);
    }
    return s;
  }

  #logAnswer(ticket: Ticket, now: number): void {
    for (const name of ticket.policies) {
      const s = this.#states.get(name);
      if (!s?.windowMs) continue;
      s.own.add(now);
      s.own.prune(now - 2 * s.windowMs); // #check looks back one window from a send up to a window old
    }
  }

  /**
   * When a slot of the policy frees by our own log: 0 when one is free now, the time one frees,
   * or null when the log cannot tell (no `RateLimit-Policy`, distrusted, or all quota in flight).
   */
  #mirror(s: PolicyState, now: number): number | null {
    if (s.quota === null || s.windowMs === null || now < s.mirrorFrom) return null;
    const edge = now - s.windowMs;
    const used = s.own.countAfter(edge) + s.inflight;
    if (used < s.quota) return 0;
    if (s.inflight >= s.quota) return null;
    return s.own.nthAfter(edge, used - s.quota)! + s.windowMs;
  }

  /**
   * Distrusts the mirror for a window when the server counts more than our own requests can
   * explain (another client shares the key) or refuses one. Every request the server could have
   * counted with this one was answered after `ticket.at − window` or is still in flight.
   */
  #check(s: PolicyState, ticket: Ticket, remaining: number, status: number, now: number): void {
    if (s.quota === null || s.windowMs === null) return;
    const foreign =
      (status === 429 && remaining === 0) || (ticket.at > now - s.windowMs && remaining < s.quota - s.own.countAfter(ticket.at - s.windowMs) - s.inflight);
    if (foreign) s.mirrorFrom = now + s.windowMs;
  }

  #notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Sleeps up to `ms`, waking early when any response arrives; rejects on abort. */
  #wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        signal?.removeEventListener('abort', onAbort);
      };
      const wake = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(signal!.reason);
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      this.#waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
