/**
 * A clock for unit tests: time moves only when the test advances it, and every timer due runs in
 * order, with the promises it settles flushed before the next one. No real waiting.
 */
import type { Clock } from '../../../src/room/clock.js';

type Timer = ReturnType<typeof setTimeout>;

/** Lets every pending promise continuation run (the room's rules chain a few awaits). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

export class FakeClock implements Clock {
  private time = 1_000_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id as unknown as Timer;
  }

  clearTimeout(timer: Timer | undefined): void {
    this.timers.delete(timer as unknown as number);
  }

  later(ms: number, fn: () => void): void {
    this.setTimeout(fn, ms);
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time on by `ms`, running every timer that falls due on the way, earliest (then oldest) first. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await flush();
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
      await flush();
    }
    this.time = end;
  }
}
