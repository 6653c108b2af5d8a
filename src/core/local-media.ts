/**
 * The local camera and microphone: capture, mute and release. No DOM beyond the media APIs.
 */
import { TypedEventTarget } from './typed-event-target.js';
import { ERROR_CODES, type ErrorCode } from '../constants.js';

/** Events of LocalMedia. */
export interface LocalMediaEvents {
  /** The stream changed (acquired, replaced or released). */
  stream: { stream: MediaStream | null };
  /** Mute state changed. */
  mute: { audioMuted: boolean; videoMuted: boolean };
}

/** A media error with a public code. */
export class MediaError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Maps a getUserMedia rejection to a public error code and a sentence for people. */
export function classifyMediaError(error: unknown): MediaError {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new MediaError(ERROR_CODES.mediaPermissionDenied, 'Camera and microphone access was denied.');
    case 'NotFoundError':
      return new MediaError(ERROR_CODES.mediaNotFound, 'No camera or microphone was found.');
    case 'OverconstrainedError':
      return new MediaError(ERROR_CODES.mediaConstraints, 'The camera cannot provide the requested quality.');
    case 'NotReadableError':
    case 'AbortError':
      return new MediaError(ERROR_CODES.mediaInUse, 'The camera or microphone is in use by another program.');
    default:
      return new MediaError(ERROR_CODES.mediaFailed, `Camera and microphone could not be started (${String(error)}).`);
  }
}

/** Owns the local capture stream. */
export class LocalMedia extends TypedEventTarget<LocalMediaEvents> {
  private streamValue: MediaStream | null = null;
  private pendingAcquire: Promise<MediaStream | null> | null = null;
  private generation = 0;
  audioMuted = false;
  videoMuted = false;

  /** The live capture stream, or null. */
  get stream(): MediaStream | null {
    return this.streamValue;
  }

  /**
   * Captures camera and microphone (once; later calls share the result). If both fail, tries
   * audio only, then video only; rejects with a MediaError when nothing can be captured.
   */
  acquire(): Promise<MediaStream | null> {
    if (this.streamValue) return Promise.resolve(this.streamValue);
    if (this.pendingAcquire) return this.pendingAcquire;
    const generation = this.generation;
    const attempt = this.capture().then(
      (stream) => {
        this.pendingAcquire = null;
        // Released while we waited: do not leak the capture.
        if (generation !== this.generation) {
          for (const track of stream.getTracks()) track.stop();
          return null;
        }
        this.streamValue = stream;
        this.applyMute();
        this.emit('stream', { stream });
        return stream;
      },
      (error: unknown) => {
        this.pendingAcquire = null;
        throw classifyMediaError(error);
      },
    );
    this.pendingAcquire = attempt;
    return attempt;
  }

  private async capture(): Promise<MediaStream> {
    if (!navigator.mediaDevices?.getUserMedia) throw new DOMException('getUserMedia is not available', 'NotSupportedError');
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    } catch (error) {
      // Permission refusals apply to both kinds; anything else may be one missing device.
      if ((error as DOMException).name === 'NotAllowedError') throw error;
      for (const constraints of [{ audio: true }, { video: true }]) {
        try {
          return await navigator.mediaDevices.getUserMedia(constraints);
        } catch {
          // try the next kind
        }
      }
      throw error;
    }
  }

  /** Mutes or unmutes the microphone. */
  setAudioMuted(muted: boolean): void {
    this.audioMuted = muted;
    this.applyMute();
    this.emit('mute', { audioMuted: this.audioMuted, videoMuted: this.videoMuted });
  }

  /** Turns the camera off or on. */
  setVideoMuted(muted: boolean): void {
    this.videoMuted = muted;
    this.applyMute();
    this.emit('mute', { audioMuted: this.audioMuted, videoMuted: this.videoMuted });
  }

  private applyMute(): void {
    for (const track of this.streamValue?.getAudioTracks() ?? []) track.enabled = !this.audioMuted;
    for (const track of this.streamValue?.getVideoTracks() ?? []) track.enabled = !this.videoMuted;
  }

  /** Stops every track and forgets the stream. */
  release(): void {
    this.generation++;
    this.pendingAcquire = null;
    if (!this.streamValue) return;
    for (const track of this.streamValue.getTracks()) track.stop();
    this.streamValue = null;
    this.emit('stream', { stream: null });
  }
}
