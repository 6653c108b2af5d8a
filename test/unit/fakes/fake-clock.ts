/**
 * A clock the test moves by hand: repeating timers run as time passes over them, in order, and
 * never on their own (no real timers, no waiting).
 */
import type { Clock } from '../../../src/link/liveness.js';

interface Timer {
  due: number;
  ms: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  readonly #timers = new Set<Timer>();

  /** `time`: the time now, in ms (like Date.now(), never 0). */
  constructor(public time = 1_700_000_000_000) {}

  now = (): number => this.time;

  every = (ms: number, fn: () => void): (() => void) => {
    const timer = { due: this.time + ms, ms, fn };
    this.#timers.add(timer);
    return () => this.#timers.delete(timer);
  };

  /** How many timers are running. */
  get running(): number {
    return this.#timers.size;
  }

  /** Moves time on by `ms`, running each timer every time it comes due, in time order. */
  tick(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = [...this.#timers].sort((a, b) => a.due - b.due)[0];
      if (!next || next.due > end) break;
      this.time = next.due;
      next.due += next.ms;
      next.fn();
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
    for (const timer of [...this.#timers]) {
      if (timer.due > this.time || !this.#timers.has(timer)) continue;
      timer.due = this.time + timer.ms;
      timer.fn();
    }
  }
}
