/**
 * A clock the test moves by hand, for the room's rules (src/room/clock.ts: one-shot timers) and a
 * link's liveness (src/link/liveness.ts: repeating ones). Timers run as time passes over them,
 * earliest (then oldest) first, and never on their own: no real timers, no waiting.
 */
import type { Clock as RoomClock } from '../../../src/room/clock.js';
import type { Clock as LinkClock } from '../../../src/link/liveness.js';

type Timer = ReturnType<typeof setTimeout>;

interface Entry {
  due: number;
  /** Repeats every `period` ms; 0: runs once. */
  period: number;
  fn: () => void;
}

/** Lets every pending promise continuation run (the room's rules chain a few awaits). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

export class FakeClock implements RoomClock, LinkClock {
  #nextId = 1;
  readonly #timers = new Map<number, Entry>();

  /** `time`: the time now, in ms (like Date.now(), never 0). */
  constructor(public time = 1_700_000_000_000) {}

  now = (): number => this.time;

  setTimeout(fn: () => void, ms: number): Timer {
    return this.#add(fn, ms, 0) as unknown as Timer;
  }

  clearTimeout(timer: Timer | undefined): void {
    this.#timers.delete(timer as unknown as number);
  }

  later(ms: number, fn: () => void): void {
    this.#add(fn, ms, 0);
  }

  every = (ms: number, fn: () => void): (() => void) => {
    const id = this.#add(fn, ms, ms);
    return () => this.#timers.delete(id);
  };

  /** How many timers are waiting (one-shot or repeating). */
  get pending(): number {
    return this.#timers.size;
  }

  /** How many repeating timers are running. */
  get running(): number {
    return [...this.#timers.values()].filter((t) => t.period > 0).length;
  }

  /** Moves time on by `ms`, running each timer every time it comes due, in time order. */
  tick(ms: number): void {
    const end = this.time + ms;
    for (let next = this.#next(end); next; next = this.#next(end)) this.#run(next);
    this.time = end;
  }

  /** As `tick`, letting the promises each timer settles run before the next one. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await flush();
    for (let next = this.#next(end); next; next = this.#next(end)) {
      this.#run(next);
      await flush();
    }
    this.time = end;
  }

  /**
   * Our own page is stuck for `ms` (a busy main thread): time passes and no timer runs; then
   * each one that came due runs once, as a browser runs a late interval once, not once per
   * period missed.
   */
  stall(ms: number): void {
    this.time += ms;
    for (const [id, timer] of [...this.#timers]) {
      if (timer.due > this.time || !this.#timers.has(id)) continue;
      if (timer.period) timer.due = this.time + timer.period;
      else this.#timers.delete(id);
      timer.fn();
    }
  }

  #add(fn: () => void, ms: number, period: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { due: this.time + Math.max(0, ms), period, fn });
    return id;
  }

  #next(end: number): [number, Entry] | undefined {
    let next: [number, Entry] | undefined;
    for (const entry of this.#timers) if (entry[1].due <= end && (!next || entry[1].due < next[1].due)) next = entry;
    return next;
  }

  #run([id, timer]: [number, Entry]): void {
    this.time = timer.due;
    if (timer.period) timer.due += timer.period;
    else this.#timers.delete(id);
    timer.fn();
  }
}
