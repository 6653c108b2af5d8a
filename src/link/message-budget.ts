/**
 * How much a peer may send us over one link: per message type a rate, a burst and a size, and
 * a total of characters per second. Token buckets refilled by the wall clock, so a page that
 * was stalled (a busy main thread, a frozen tab) and then gets a burst of honest messages that
 * queued meanwhile finds its buckets full: the bursts are generous, the sustained rates are not.
 */

/** One message type's allowance. */
export interface Budget {
  /** Messages per second, sustained. */
  perSecond: number;
  /** Messages accepted at once after a quiet spell. */
  burst: number;
  /** Longest message, in UTF-16 code units of its wire form. */
  maxChars: number;
}

const ONCE = { perSecond: 1, burst: 10, maxChars: 2_048 } as const;

/**
 * Per type, against what an honest peer sends (each at least 10× its worst honest rate):
 * heartbeats every second; candidates in bursts of tens at every ICE restart (every 3 s while
 * reconnecting); an offer or answer per renegotiation; a roster per link gained and every 5 s;
 * state on mute or name changes; the microphone level up to 4 times a second; chat at human
 * speed (≤ 2000 characters, escaped ≤ 6× in JSON); keys on every departure. The verification
 * messages and `relay-key` come once per link.
 */
export const MESSAGE_BUDGETS: Readonly<Record<string, Budget>> = {
  hello: ONCE,
  bye: ONCE,
  full: ONCE,
  auth: ONCE,
  'sas-commit': ONCE,
  'sas-reveal': ONCE,
  'relay-key': ONCE,
  hb: { perSecond: 10, burst: 300, maxChars: 256 },
  ice: { perSecond: 50, burst: 500, maxChars: 4_096 },
  sdp: { perSecond: 5, burst: 50, maxChars: 64 * 1024 },
  roster: { perSecond: 2, burst: 50, maxChars: 64 * 1024 },
  state: { perSecond: 5, burst: 50, maxChars: 2_048 },
  chat: { perSecond: 5, burst: 100, maxChars: 16 * 1024 },
  level: { perSecond: 40, burst: 100, maxChars: 256 },
  key: { perSecond: 2, burst: 50, maxChars: 1_024 },
  'key-ack': { perSecond: 2, burst: 50, maxChars: 256 },
  // Wraps a `key` or a `chat`.
  sealed: { perSecond: 7, burst: 150, maxChars: 24 * 1024 },
};

/** A type missing from the table (one added later): the loosest per-type allowance. */
export const DEFAULT_BUDGET: Budget = { perSecond: 5, burst: 50, maxChars: 64 * 1024 };

/** All messages of a link together, in characters: far above a call's signalling, far below a flood. */
export const TOTAL_BUDGET = { perSecond: 256 * 1024, burst: 2 * 1024 * 1024 } as const;

/** A token bucket: `capacity` tokens, refilled at `perSecond` by the clock. */
class Bucket {
  #tokens: number;
  #at: number;

  readonly #perSecond: number;
  readonly #capacity: number;
  constructor(
    perSecond: number,
    capacity: number,
    now: number,
  ) {
    this.#perSecond = perSecond;
    this.#capacity = capacity;
    this.#tokens = capacity;
    this.#at = now;
  }

  /** Takes `cost` tokens if there are that many; returns whether it did. */
  take(cost: number, now: number): boolean {
    this.#tokens = Math.min(this.#capacity, this.#tokens + (Math.max(0, now - this.#at) / 1000) * this.#perSecond);
    this.#at = now;
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }
}

/** The budget of one link. Once over it, the peer stays over it (the link is to be dropped). */
export class MessageBudget {
  /** Why the peer went over, e.g. `state: rate`; null while within budget. */
  exceeded: string | null = null;
  readonly #buckets = new Map<string, Bucket>();
  readonly #total: Bucket;

  readonly #now: () => number;
  readonly #budgets: Readonly<Record<string, Budget>>;
  constructor(
    now: () => number = () => performance.now(),
    budgets = MESSAGE_BUDGETS,
    total: { perSecond: number; burst: number } = TOTAL_BUDGET,
  ) {
    this.#now = now;
    this.#budgets = budgets;
    this.#total = new Bucket(total.perSecond, total.burst, now());
  }

  /**
   * Counts a message of type `type` (undefined: it did not parse; it counts only toward the
   * total) and `chars` long. Returns false when the peer is over its budget.
   */
  admit(type: string | undefined, chars: number): boolean {
    if (this.exceeded) return false;
    const now = this.#now();
    if (!this.#total.take(chars, now)) return this.#exceed('total: rate');
    if (type === undefined) return true;
    const budget = Object.hasOwn(this.#budgets, type) ? this.#budgets[type]! : DEFAULT_BUDGET;
    if (chars > budget.maxChars) return this.#exceed(`${type}: size`);
    let bucket = this.#buckets.get(type);
    if (!bucket) this.#buckets.set(type, (bucket = new Bucket(budget.perSecond, budget.burst, now)));
    return bucket.take(1, now) || this.#exceed(`${type}: rate`);
  }

  #exceed(reason: string): false {
    this.exceeded = reason;
    return false;
  }
}
