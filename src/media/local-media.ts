/**
 * The local camera and microphone: capture, mute and release. No DOM beyond the media APIs.
 */
import { TypedEventTarget } from '../util/typed-event-target.js';
import { ERROR_CODES, type ErrorCode } from '../constants.js';
import { audioConstraints, videoConstraints, DEFAULT_VIDEO_QUALITY, VIDEO_QUALITIES, type FacingMode, type VideoQuality } from './quality.js';

/** The capture devices. */
export type InputKind = 'audioinput' | 'videoinput';

/** What to capture: quality, facing mode and the remembered devices (used if still there). */
export interface CapturePreferences {
  quality: VideoQuality;
  facingMode?: FacingMode | undefined;
  audioDeviceId?: string | undefined;
  videoDeviceId?: string | undefined;
}

/** Events of LocalMedia. */
export interface LocalMediaEvents {
  /** The stream changed (acquired, a track swapped, or released). */
  stream: { stream: MediaStream | null };
  /** Mute state changed. */
  mute: { audioMuted: boolean; videoMuted: boolean };
  /**
   * A capture device changed: chosen by the person (`selected`), or taken over because the one
   * in use went away (`fallback`).
   */
  device: { kind: InputKind; deviceId: string; label: string; reason: 'selected' | 'fallback' };
  /** The devices the browser lists changed (plugged in or out). */
  devices: undefined;
  /** A device went away and no other could take over. */
  error: { error: MediaError };
}

const KIND_OF: Record<InputKind, 'audio' | 'video'> = { audioinput: 'audio', videoinput: 'video' };

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
  // Browsers hide getUserMedia from pages that are not secure contexts (plain http:// elsewhere than localhost).
  if (globalThis.isSecureContext === false)
    return new MediaError(ERROR_CODES.insecureContext, 'This page is not served over HTTPS: no camera or microphone. You see and hear the others.');
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
  #streamValue: MediaStream | null = null;
  #pendingAcquire: Promise<MediaStream | null> | null = null;
  #generation = 0;
  audioMuted = false;
  videoMuted = false;
  /** Why the last capture got only the camera or only the microphone; read once with takePartial(). */
  #partial: MediaError | null = null;
  /** The failure that made the last capture fall back to fewer kinds. */
  #captureFailure: unknown = null;
  /** What the next capture asks for. */
  preferences: CapturePreferences = { quality: DEFAULT_VIDEO_QUALITY };
  #watching = false;
  /** Serialises device switches and fallbacks: two at once would leak a capture. */
  #switching: Promise<unknown> = Promise.resolve();
  readonly #onDeviceChange = () => {
    this.emit('devices', undefined);
    void this.#checkDevices();
  };
  readonly #onTrackEnded = () => void this.#checkDevices();

  /** The live capture stream, or null. */
  get stream(): MediaStream | null {
    return this.#streamValue;
  }

  /**
   * Captures camera and microphone (once; later calls share the result). If both fail, tries
   * audio only, then video only; rejects with a MediaError when nothing can be captured.
   */
  acquire(): Promise<MediaStream | null> {
    if (this.#streamValue) return Promise.resolve(this.#streamValue);
    if (this.#pendingAcquire) return this.#pendingAcquire;
    const generation = this.#generation;
    const quality = this.preferences.quality;
    const attempt = this.#capture().then(
      (stream) => {
        this.#pendingAcquire = null;
        // Released while we waited: do not leak the capture.
        if (generation !== this.#generation) {
          for (const track of stream.getTracks()) track.stop();
          return null;
        }
        this.#streamValue = stream;
        this.#partial = this.#describePartial(stream);
        this.#applyMute();
        this.#watch(stream);
        // The quality changed while the camera was starting.
        if (this.preferences.quality !== quality) void this.setQuality(this.preferences.quality);
        this.emit('stream', { stream });
        return stream;
      },
      (error: unknown) => {
        this.#pendingAcquire = null;
        throw classifyMediaError(error);
      },
    );
    this.#pendingAcquire = attempt;
    return attempt;
  }

  async #capture(): Promise<MediaStream> {
    if (!navigator.mediaDevices?.getUserMedia) throw new DOMException('getUserMedia is not available', 'NotSupportedError');
    const p = this.preferences;
    const remembered: MediaStreamConstraints = {
      // `exact`: as `ideal`, a remembered device is only one wish among the size and frame rate.
      audio: audioConstraints(p.audioDeviceId ? { exact: p.audioDeviceId } : undefined),
      video: videoConstraints({ ...p, deviceId: p.videoDeviceId ? { exact: p.videoDeviceId } : undefined }),
    };
    const attempts: MediaStreamConstraints[] = [
      // Without the remembered devices (unplugged since), then without any constraint (a
      // browser may refuse even `ideal` ones), then one kind at a time (one device missing).
      { audio: true, video: videoConstraints({ quality: p.quality, facingMode: p.facingMode }) },
      { audio: true, video: true },
      { audio: true },
      { video: true },
    ];
    if (p.audioDeviceId || p.videoDeviceId) attempts.unshift(remembered);
    // The last failure says most: the one of the plainest request that still asked for the kind
    // we did not get (an earlier one may be about a remembered device that has gone).
    let last: unknown = null;
    for (const constraints of attempts) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia(constraints);
        this.#captureFailure = last;
        return stream;
      } catch (error) {
        last = error;
        // A refusal applies to every kind: asking again would only ask the person again.
        if ((error as DOMException).name === 'NotAllowedError') throw error;
      }
    }
    throw last;
  }

  /** The reason, once, when the last capture has only one of camera and microphone. */
  takePartial(): MediaError | null {
    const partial = this.#partial;
    this.#partial = null;
    return partial;
  }

  #describePartial(stream: MediaStream): MediaError | null {
    const video = stream.getVideoTracks().length > 0;
    const audio = stream.getAudioTracks().length > 0;
    if ((video && audio) || !this.#captureFailure) return null;
    const [missing, other] = video ? ['microphone', 'camera'] : ['camera', 'microphone'];
    const { code } = classifyMediaError(this.#captureFailure);
    const why =
      code === ERROR_CODES.mediaNotFound
        ? `No ${missing} was found`
        : code === ERROR_CODES.mediaInUse
          ? `The ${missing} is in use by another program`
          : `The ${missing} could not be started`;
    return new MediaError(code, `${why}; you take part with your ${other} only.`);
  }

  /** Mutes or unmutes the microphone. */
  setAudioMuted(muted: boolean): void {
    this.audioMuted = muted;
    this.#applyMute();
    this.emit('mute', { audioMuted: this.audioMuted, videoMuted: this.videoMuted });
  }

  /** Turns the camera off or on. */
  setVideoMuted(muted: boolean): void {
    this.videoMuted = muted;
    this.#applyMute();
    this.emit('mute', { audioMuted: this.audioMuted, videoMuted: this.videoMuted });
  }

  #applyMute(): void {
    for (const track of this.#streamValue?.getAudioTracks() ?? []) track.enabled = !this.audioMuted;
    for (const track of this.#streamValue?.getVideoTracks() ?? []) track.enabled = !this.videoMuted;
  }

  /** The id of the device in use for a kind, or undefined. */
  deviceId(kind: InputKind): string | undefined {
    return this.#track(kind)?.getSettings().deviceId;
  }

  #track(kind: InputKind): MediaStreamTrack | undefined {
    const streamKind = KIND_OF[kind];
    return this.#streamValue?.getTracks().find((t) => t.kind === streamKind);
  }

  /**
   * Switches to another camera or microphone. The new track takes the old one's place in the
   * same stream, so the links swap it with replaceTrack. Rejects with a MediaError (the old
   * device stays in use). Without a stream yet, this captures one.
   */
  setDevice(kind: InputKind, deviceId: string): Promise<MediaStreamTrack> {
    const run = this.#switching.then(() => this.#swap(kind, { exact: deviceId }, 'selected'));
    this.#switching = run.catch(() => undefined);
    return run;
  }

  /** Captures the camera again with the current preferences (a new facing mode). */
  restartVideo(): Promise<MediaStreamTrack> {
    const run = this.#switching.then(() => this.#swap('videoinput', undefined, 'selected'));
    this.#switching = run.catch(() => undefined);
    return run;
  }

  /**
   * Changes the camera quality: in place where the camera allows it, else by capturing the same
   * camera anew (a camera opened small cannot always be made larger with applyConstraints).
   */
  async setQuality(quality: VideoQuality): Promise<void> {
    this.preferences = { ...this.preferences, quality };
    const track = this.#track('videoinput');
    if (!track) return;
    // No device or facing mode given, so this changes only size and frame rate.
    await track.applyConstraints(videoConstraints({ quality })).catch(() => undefined);
    const { width = 0, deviceId } = track.getSettings();
    if (width >= VIDEO_QUALITIES[quality].width || !deviceId || this.#track('videoinput') !== track) return;
    const run = this.#switching.then(async () => {
      if (this.#track('videoinput') === track) await this.#swap('videoinput', { exact: deviceId }, 'quality');
    });
    this.#switching = run.catch(() => undefined);
    await run.catch(() => undefined);
  }

  async #swap(
    kind: InputKind,
    deviceId: { exact: string } | undefined,
    reason: 'selected' | 'fallback' | 'quality',
  ): Promise<MediaStreamTrack> {
    if (!navigator.mediaDevices?.getUserMedia) throw classifyMediaError(new DOMException('no getUserMedia', 'NotSupportedError'));
    const old = this.#track(kind);
    const constraints =
      kind === 'audioinput'
        ? { audio: audioConstraints(deviceId) }
        : { video: videoConstraints({ ...this.preferences, deviceId }) };
    const generation = this.#generation;
    // Chromium shares one capture per camera, at the size it was opened with: a larger size
    // needs the camera closed first.
    if (reason === 'quality') old?.stop();
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(constraints);
    } catch (error) {
      // Some systems open one camera at a time: free the old one and try once more.
      if (!old || (error as DOMException).name !== 'NotReadableError') throw classifyMediaError(error);
      old.stop();
      try {
        stream = await navigator.mediaDevices.getUserMedia(constraints);
      } catch (again) {
        throw classifyMediaError(again);
      }
    }
    const track = stream.getTracks()[0];
    if (!track) throw classifyMediaError(new DOMException('no track', 'NotFoundError'));
    if (generation !== this.#generation) {
      track.stop();
      throw new MediaError(ERROR_CODES.mediaFailed, 'The camera and microphone were released meanwhile.');
    }
    if (!this.#streamValue) this.#streamValue = new MediaStream();
    if (old) {
      old.removeEventListener('ended', this.#onTrackEnded);
      old.stop();
      this.#streamValue.removeTrack(old);
    }
    this.#streamValue.addTrack(track);
    this.#applyMute();
    this.#watch(this.#streamValue);
    this.emit('stream', { stream: this.#streamValue });
    // The same camera at another size is no device change.
    if (reason !== 'quality') this.emit('device', { kind, deviceId: track.getSettings().deviceId ?? '', label: track.label, reason });
    return track;
  }

  /** Listens for unplugged devices: `devicechange`, and `ended` on our tracks. */
  #watch(stream: MediaStream): void {
    for (const track of stream.getTracks()) track.addEventListener('ended', this.#onTrackEnded);
    if (this.#watching) return;
    this.#watching = true;
    navigator.mediaDevices?.addEventListener?.('devicechange', this.#onDeviceChange);
  }

  /** When a device in use is gone, takes the default one of its kind and says so. */
  async #checkDevices(): Promise<void> {
    if (!this.#streamValue) return;
    const listed = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    for (const kind of ['audioinput', 'videoinput'] as const) {
      const track = this.#track(kind);
      if (!track) continue;
      const id = track.getSettings().deviceId;
      const present = listed.some((d) => d.kind === kind && d.deviceId === id);
      if (track.readyState === 'live' && (present || !id)) continue;
      const run = this.#switching.then(() => {
        // Another switch may have dealt with it meanwhile.
        if (this.#track(kind) !== track) return;
        return this.#swap(kind, undefined, 'fallback').catch((error: unknown) => {
          if (this.#track(kind) === track) {
            track.stop();
            this.#streamValue?.removeTrack(track);
            this.emit('stream', { stream: this.#streamValue });
          }
          this.emit('error', { error: error instanceof MediaError ? error : classifyMediaError(error) });
        });
      });
      this.#switching = run;
      await run;
    }
  }

  /** Stops every track and forgets the stream. */
  release(): void {
    this.#generation++;
    this.#pendingAcquire = null;
    if (this.#watching) navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange);
    this.#watching = false;
    if (!this.#streamValue) return;
    for (const track of this.#streamValue.getTracks()) {
      track.removeEventListener('ended', this.#onTrackEnded);
      track.stop();
    }
    this.#streamValue = null;
    this.emit('stream', { stream: null });
  }
}
