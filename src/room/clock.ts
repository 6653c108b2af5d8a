/** Time as the room's rules see it: the real clock, or a test's fake one (test/unit/fakes/). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`; returns what `clearTimeout` takes. */
  setTimeout(fn: () => void, ms: number): ReturnType<typeof setTimeout>;
  /** Cancels a timer that has not run yet. */
  clearTimeout(timer: ReturnType<typeof setTimeout> | undefined): void;
  /** Runs `fn` after `ms`, unless the room leaves first (its owner clears these all at once). */
  later(ms: number, fn: () => void): void;
}

/** The real clock; `later` runs on `timers`. The globals are read at each call (leak-probe.ts wraps them). */
export function systemClock(timers: { later(ms: number, fn: () => void): void }): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (timer) => clearTimeout(timer),
    later: (ms, fn) => timers.later(ms, fn),
  };
}
