/**
 * The local screen share: capture with getDisplayMedia, and the end of it, whether from our
 * Stop button or from the browser's own "Stop sharing" control (the track's `ended`).
 */
import { TypedEventTarget } from '../util/typed-event-target.js';
import { ERROR_CODES } from '../constants.js';
import { MediaError } from './local-media.js';

export interface ScreenShareEvents {
  /** Sharing started with this track. */
  start: { track: MediaStreamTrack };
  /** Sharing stopped (by us or by the browser). */
  stop: undefined;
}

/** Whether this browser can share a screen at all (phones cannot). */
export function canShareScreen(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getDisplayMedia === 'function';
}

export class ScreenShare extends TypedEventTarget<ScreenShareEvents> {
  #trackValue: MediaStreamTrack | null = null;
  #pending: Promise<MediaStreamTrack> | null = null;
  readonly #onEnded = () => this.stop();

  /** The shared screen's track while sharing. */
  get track(): MediaStreamTrack | null {
    return this.#trackValue;
  }

  /** Asks the person for a screen, window or tab. Rejects with a MediaError. */
  start(): Promise<MediaStreamTrack> {
    if (this.#trackValue) return Promise.resolve(this.#trackValue);
    if (this.#pending) return this.#pending;
    this.#pending = this.#capture().finally(() => (this.#pending = null));
    return this.#pending;
  }

  async #capture(): Promise<MediaStreamTrack> {
    if (!canShareScreen())
      throw new MediaError(ERROR_CODES.screenShareUnsupported, 'This browser cannot share a screen.');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
    } catch (error) {
      const name = (error as DOMException).name;
      if (name === 'NotAllowedError' || name === 'AbortError')
        throw new MediaError(ERROR_CODES.screenShareDenied, 'Screen sharing was cancelled or not allowed.');
      if (name === 'NotSupportedError' || name === 'TypeError' || name === 'InvalidStateError')
        throw new MediaError(ERROR_CODES.screenShareUnsupported, 'This browser cannot share a screen here.');
      throw new MediaError(ERROR_CODES.screenShareFailed, `The screen could not be shared (${String(error)}).`);
    }
    const track = stream.getVideoTracks()[0];
    for (const other of stream.getTracks()) if (other !== track) other.stop();
    if (!track) throw new MediaError(ERROR_CODES.screenShareFailed, 'The browser gave no screen to share.');
    // Text and edges over motion: the encoder keeps resolution and drops frames instead.
    if ('contentHint' in track) track.contentHint = 'detail';
    track.addEventListener('ended', this.#onEnded);
    this.#trackValue = track;
    this.emit('start', { track });
    return track;
  }

  /** Stops sharing (idempotent). */
  stop(): void {
    const track = this.#trackValue;
    if (!track) return;
    this.#trackValue = null;
    track.removeEventListener('ended', this.#onEnded);
    track.stop();
    this.emit('stop', undefined);
  }
}
