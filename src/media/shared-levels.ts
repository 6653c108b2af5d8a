/**
 * Microphone levels shared over the data channels, for the speaker highlight. Each participant
 * measures its own microphone (Web Audio, see level-meter.ts) and tells the others when the level
 * changes. Reading a remote level from RTP instead (RTCRtpReceiver.getSynchronizationSources)
 * is a synchronous call that waits on the browser's WebRTC thread: in a busy join it held the
 * page's main thread for up to 7 s at a time, while hellos and answers waited (issue 17).
 */

/** While not silent, our level goes out at least this often, so a newcomer hears it too. */
export const LEVEL_REFRESH_MS = 1_000;
/** A remote level not heard again within this long counts as silence (its sender stopped or stalled). */
export const LEVEL_STALE_MS = 2_500;

/** Levels in hundredths: finer steps are noise, and each step is a message. */
const quantize = (level: number) => (Number.isFinite(level) ? Math.round(Math.min(1, Math.max(0, level)) * 100) / 100 : 0);

/** Our level as we tell it, and the others' as we heard them. */
export class SharedLevels {
  #sent = 0;
  #sentAt = Number.NEGATIVE_INFINITY;
  readonly #heard = new Map<string, { level: number; at: number }>();

  /**
   * Our level `level` (0..1) at `now` (ms): what to send, or null when nothing needs to go out
   * (the same as last sent, and silent or sent within LEVEL_REFRESH_MS).
   */
  outgoing(level: number, now: number): number | null {
    const value = quantize(level);
    if (value === this.#sent && (value === 0 || now - this.#sentAt < LEVEL_REFRESH_MS)) return null;
    this.#sent = value;
    this.#sentAt = now;
    return value;
  }

  /** Participant `id` told us its level (0..1, as parseMessage checked it) at `now`. */
  heard(id: string, level: number, now: number): void {
    this.#heard.set(id, { level, at: now });
  }

  /** Participant `id` left. */
  forget(id: string): void {
    this.#heard.delete(id);
  }

  /** The level of participant `id` at `now`: 0 if never heard, or not heard for LEVEL_STALE_MS. */
  level(id: string, now: number): number {
    const heard = this.#heard.get(id);
    return heard && now - heard.at < LEVEL_STALE_MS ? heard.level : 0;
  }
}
