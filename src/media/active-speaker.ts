/**
 * Picks the active speaker from audio levels. Levels are peak-held with a decay, so the gaps
 * between syllables do not count as silence, and a new speaker takes over only after being the
 * loudest for `holdMs`, so the highlight does not flap. Pure logic: the caller samples levels.
 */

export interface SpeakerOptions {
  /** Below this (0..1, linear) nobody is speaking. */
  threshold: number;
  /** How long a new voice must stay loudest before it takes over, in ms. */
  holdMs: number;
  /** How much of a held peak is left after one second. */
  decayPerSecond: number;
}

export const DEFAULT_SPEAKER_OPTIONS: SpeakerOptions = { threshold: 0.02, holdMs: 1000, decayPerSecond: 0.3 };

export class SpeakerDetector {
  readonly #held = new Map<string, { level: number; at: number }>();
  #speaker: string | null = null;
  /** Who is taking over, and for how long they have been the loudest so far. */
  #candidate: { id: string; loudestMs: number } | null = null;
  #lastSample: number | null = null;

  constructor(private readonly options: SpeakerOptions = DEFAULT_SPEAKER_OPTIONS) {}

  /** The current active speaker, or null before anyone spoke. */
  get current(): string | null {
    return this.#speaker;
  }

  /**
   * Takes one sample of levels (id → 0..1) at `now` (ms). Returns the new active speaker when it
   * changed, otherwise undefined.
   */
  update(levels: ReadonlyMap<string, number>, now: number): string | null | undefined {
    const elapsed = this.#lastSample === null ? 0 : Math.max(0, now - this.#lastSample);
    this.#lastSample = now;
    for (const [id, level] of levels) {
      const previous = this.#held.get(id);
      const decayed = previous ? previous.level * this.options.decayPerSecond ** ((now - previous.at) / 1000) : 0;
      this.#held.set(id, { level: Math.max(Number.isFinite(level) ? level : 0, decayed), at: now });
    }
    for (const id of this.#held.keys()) if (!levels.has(id)) this.#held.delete(id);
    if (this.#speaker !== null && !levels.has(this.#speaker)) {
      // The speaker left: nobody is the speaker until someone speaks.
      this.#speaker = null;
      this.#candidate = null;
      return null;
    }
    let loudest: string | null = null;
    let loudestLevel = this.options.threshold;
    for (const [id, { level }] of this.#held) {
      if (level > loudestLevel) {
        loudest = id;
        loudestLevel = level;
      }
    }
    // Silence changes nothing: the last speaker stays, and a newcomer keeps the time it has.
    if (loudest === null) return undefined;
    if (loudest === this.#speaker) {
      this.#candidate = null;
      return undefined;
    }
    if (this.#candidate?.id !== loudest) this.#candidate = { id: loudest, loudestMs: 0 };
    else this.#candidate.loudestMs += elapsed;
    // The first speaker of a call is taken at once: there is nothing to flap away from.
    if (this.#speaker === null || this.#candidate.loudestMs >= this.options.holdMs) {
      this.#speaker = loudest;
      this.#candidate = null;
      return loudest;
    }
    return undefined;
  }
}
