/**
 * Gives the element its local media: camera and microphone, the screen share, the microphone
 * level (and its meter on screen), the device lists and the choice of devices. Owns them for as
 * long as the element is connected and releases every track, audio graph, timer and listener
 * when it disconnects. Their events go to the store; failures are reported (`vr-error`) and the
 * call goes on.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { ERROR_CODES } from '../../constants.js';
import { LocalMedia, MediaError } from '../../media/local-media.js';
import { ScreenShare } from '../../media/screen-share.js';
import { AudioLevelMeter } from '../../media/level-meter.js';
import { DevicePreferences, isDeviceKind, listDevices, pageStorage, type DeviceInfo, type DeviceKind } from '../../media/devices.js';
import { DEFAULT_VIDEO_QUALITY, type FacingMode, type VideoQuality } from '../../media/quality.js';
import { DEFAULT_MAX_UPSTREAM_KBPS } from '../../link/bandwidth.js';
import type { CallStore } from '../../store/call-store.js';
import type { Fail } from '../config.js';

/** Whether this browser can choose where sound plays. */
export const canChooseSpeaker = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

/** Where the speaker choice goes: every remote audio element. */
type SinkAudio = HTMLAudioElement & { sinkId: string; setSinkId(id: string): Promise<void> };

const KIND_NAMES: Record<DeviceKind, string> = { videoinput: 'camera', audioinput: 'microphone', audiooutput: 'speaker' };

export class MediaController implements ReactiveController {
  readonly media = new LocalMedia();
  readonly screen = new ScreenShare();
  readonly meter = new AudioLevelMeter();
  readonly preferences = new DevicePreferences(pageStorage());
  /** The chosen speaker ('' is the default). */
  sinkId = canChooseSpeaker ? (this.preferences.get('audiooutput') ?? '') : '';
  /** The camera quality asked for (`video-quality`). */
  quality: VideoQuality = DEFAULT_VIDEO_QUALITY;
  /** The most this participant sends in all, in kbit/s (`max-upstream-kbps`). */
  upstreamKbps = DEFAULT_MAX_UPSTREAM_KBPS;
  #unsubscribe: (() => void)[] = [];
  #listing = 0;
  #meterTimer: ReturnType<typeof setInterval> | null = null;

  readonly #host: ReactiveControllerHost & { readonly renderRoot: ParentNode };
  readonly #store: CallStore;
  readonly #fail: Fail;

  constructor(
    host: ReactiveControllerHost & { readonly renderRoot: ParentNode },
    store: CallStore,
    fail: Fail,
  ) {
    this.#host = host;
    this.#store = store;
    this.#fail = fail;
    host.addController(this);
  }

  hostConnected(): void {
    const { media, screen } = this;
    const store = this.#store;
    const refresh = () => {
      this.meter.setTrack(media.stream?.getAudioTracks()[0] ?? null);
      void this.refreshDevices();
      this.#host.requestUpdate();
    };
    this.#unsubscribe = [
      media.on('stream', (d) => (store.dispatch('media:stream', d), refresh())),
      media.on('mute', (d) => store.dispatch('media:mute', d)),
      media.on('device', (d) => {
        if (d.reason === 'selected' && d.deviceId) this.preferences.set(d.kind, d.deviceId);
        store.dispatch('media:device', d);
        refresh();
      }),
      media.on('devices', () => (store.dispatch('media:devices', undefined), refresh())),
      media.on('error', (d) => store.dispatch('media:error', d)),
      screen.on('start', (d) => store.dispatch('screen:start', d)),
      screen.on('stop', () => store.dispatch('screen:stop', undefined)),
    ];
  }

  /** The level meter shows in the pre-join panel and the settings, and only while there is a microphone: redrawn ten times a second meanwhile. */
  hostUpdated(): void {
    // The call's sound plays after every render, on the chosen speaker; a browser that blocks it until a click says so.
    for (const audio of this.#audios()) {
      if (!audio.paused || !audio.srcObject) continue;
      audio.play().catch((error: unknown) => {
        if ((error as DOMException).name === 'NotAllowedError') this.#store.set({ soundBlocked: true });
      });
    }
    void this.#applySink();
    const { state, settingsOpen } = this.#store.getState();
    if ((state !== 'joined' || settingsOpen) && this.media.stream)
      this.#meterTimer ??= setInterval(() => {
        const meter = this.#host.renderRoot.querySelector<HTMLMeterElement>('meter[part="level"]');
        if (meter) meter.value = this.level;
      }, 100);
    else this.#stopMeter();
  }

  hostDisconnected(): void {
    this.#stopMeter();
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    this.screen.stop();
    this.meter.close();
    this.media.release();
  }

  /** The microphone level, 0..1 (0 while muted). */
  get level(): number {
    return this.media.audioMuted ? 0 : this.meter.level;
  }

  /** Captures media for the preview or a call (once); a failure is reported and the call goes on receive-only. */
  async capture(): Promise<MediaStream | null> {
    if (this.media.stream) return this.media.stream;
    try {
      const stream = await this.media.acquire();
      // Only a camera or only a microphone: say which is missing; the call goes on with the other.
      const partial = this.media.takePartial();
      if (partial) this.#fail(partial.code, partial.message);
      return stream;
    } catch (error) {
      this.report(error);
      return null;
    } finally {
      void this.refreshDevices();
    }
  }

  /** What the next capture asks for: the page's choices first, then the devices remembered for this site. */
  prefer(facingMode: FacingMode | undefined): void {
    const remembered = this.preferences.all();
    this.media.preferences = {
      quality: this.quality,
      facingMode,
      audioDeviceId: remembered.audioinput,
      // A facing mode set by the page wins over a camera remembered from an earlier visit.
      videoDeviceId: facingMode ? undefined : remembered.videoinput,
    };
  }

  /** Switches a device (see the element's `setDevice`); resolves whether it worked. */
  async setDevice(kind: DeviceKind, deviceId: string): Promise<boolean> {
    if (!isDeviceKind(kind) || typeof deviceId !== 'string' || !deviceId) {
      this.#fail(ERROR_CODES.invalidDevice, `setDevice needs a kind (audioinput, videoinput or audiooutput) and a device id.`);
      return false;
    }
    const device = (await this.refreshDevices()).find((d) => d.kind === kind && d.deviceId === deviceId);
    if (!device) {
      this.#fail(ERROR_CODES.invalidDevice, `There is no ${KIND_NAMES[kind]} with that id.`);
      return false;
    }
    if (kind === 'audiooutput') return this.#setSpeaker(device);
    try {
      await this.media.setDevice(kind, deviceId);
      return true;
    } catch (error) {
      this.report(error);
      return false;
    }
  }

  /** Switches to the next camera in the browser's list; resolves whether it worked. */
  async switchCamera(): Promise<boolean> {
    const cameras = (await this.refreshDevices()).filter((d) => d.kind === 'videoinput');
    if (cameras.length < 2) return false;
    const current = cameras.findIndex((d) => d.selected);
    const next = cameras[(current + 1) % cameras.length];
    return next ? this.setDevice('videoinput', next.deviceId) : false;
  }

  /** Starts sharing a screen; resolves whether it started. */
  async shareScreen(): Promise<boolean> {
    try {
      await this.screen.start();
      return true;
    } catch (error) {
      this.report(error);
      return false;
    }
  }

  /** Reports a capture failure with its code. */
  readonly report = (error: unknown): void => {
    if (error instanceof MediaError) this.#fail(error.code, error.message);
    else this.#fail(ERROR_CODES.mediaFailed, String(error));
  };

  /** Lists the devices again; the newest call wins when several overlap. */
  async refreshDevices(): Promise<DeviceInfo[]> {
    const call = ++this.#listing;
    const selected = {
      audioinput: this.media.deviceId('audioinput'),
      videoinput: this.media.deviceId('videoinput'),
      audiooutput: this.sinkId || undefined,
    };
    const devices = await listDevices(selected).catch(() => []);
    if (call === this.#listing) this.#store.set({ devices: canChooseSpeaker ? devices : devices.filter((d) => d.kind !== 'audiooutput') });
    return devices;
  }

  async #setSpeaker({ deviceId }: DeviceInfo): Promise<boolean> {
    if (!canChooseSpeaker) {
      this.#fail(ERROR_CODES.speakerUnsupported, 'This browser cannot choose the speaker.');
      return false;
    }
    this.sinkId = deviceId;
    this.preferences.set('audiooutput', deviceId);
    await this.#applySink();
    const label = this.#store.getState().devices.find((d) => d.kind === 'audiooutput' && d.deviceId === deviceId)?.label ?? '';
    void this.refreshDevices();
    this.#store.dispatch('media:device', { kind: 'audiooutput', deviceId, label, reason: 'selected' });
    return true;
  }

  #stopMeter(): void {
    if (this.#meterTimer) clearInterval(this.#meterTimer);
    this.#meterTimer = null;
  }

  /** Plays every remote audio element (from a click, which the browser then allows). */
  enableSound(): void {
    void Promise.all(this.#audios().map((audio) => audio.play())).then(
      () => this.#store.set({ soundBlocked: false }),
      () => this.#store.set({ soundBlocked: true }),
    );
  }

  /** Points every remote audio element at the chosen speaker. */
  async #applySink(): Promise<void> {
    if (!canChooseSpeaker) return;
    const sink = this.sinkId;
    const audios = this.#audios() as SinkAudio[];
    await Promise.all(audios.filter((a) => a.sinkId !== sink).map((a) => a.setSinkId(sink).catch(() => undefined)));
  }

  #audios(): HTMLAudioElement[] {
    return [...this.#host.renderRoot.querySelectorAll('audio')];
  }
}
