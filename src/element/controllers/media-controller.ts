/**
 * Gives the element its local media: camera and microphone, the screen share, the microphone
 * level and the device lists. Owns them for as long as the element is connected and releases
 * every track, audio graph and listener when it disconnects.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { LocalMedia, type LocalMediaEvents } from '../../media/local-media.js';
import { ScreenShare, type ScreenShareEvents } from '../../media/screen-share.js';
import { AudioLevelMeter } from '../../media/level-meter.js';
import { DevicePreferences, listDevices, pageStorage, type DeviceInfo, type DeviceKind } from '../../media/devices.js';

type Handlers = {
  [K in keyof LocalMediaEvents as `media:${K}`]?: (detail: LocalMediaEvents[K]) => void;
} & {
  [K in keyof ScreenShareEvents as `screen:${K}`]?: (detail: ScreenShareEvents[K]) => void;
};

/** Whether this browser can choose where sound plays. */
export const canChooseSpeaker = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

export class MediaController implements ReactiveController {
  readonly media = new LocalMedia();
  readonly screen = new ScreenShare();
  readonly meter = new AudioLevelMeter();
  readonly preferences = new DevicePreferences(pageStorage());
  /** The devices the browser lists, refreshed on capture and on every change. */
  devices: DeviceInfo[] = [];
  /** The chosen speaker ('' is the default). */
  sinkId = '';
  private unsubscribe: (() => void)[] = [];
  private listing = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly handlers: Handlers = {},
  ) {
    host.addController(this);
    this.sinkId = canChooseSpeaker ? (this.preferences.get('audiooutput') ?? '') : '';
  }

  hostConnected(): void {
    const refresh = () => {
      this.meter.setTrack(this.media.stream?.getAudioTracks()[0] ?? null);
      void this.refreshDevices();
      this.host.requestUpdate();
    };
    this.unsubscribe = [
      this.media.on('stream', (d) => (this.handlers['media:stream']?.(d), refresh())),
      this.media.on('mute', (d) => (this.handlers['media:mute']?.(d), this.host.requestUpdate())),
      this.media.on('device', (d) => {
        if (d.reason === 'selected' && d.deviceId) this.preferences.set(d.kind, d.deviceId);
        this.handlers['media:device']?.(d);
        refresh();
      }),
      this.media.on('devices', () => (this.handlers['media:devices']?.(undefined), refresh())),
      this.media.on('error', (d) => this.handlers['media:error']?.(d)),
      this.screen.on('start', (d) => (this.handlers['screen:start']?.(d), this.host.requestUpdate())),
      this.screen.on('stop', () => (this.handlers['screen:stop']?.(undefined), this.host.requestUpdate())),
    ];
  }

  hostDisconnected(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.screen.stop();
    this.meter.close();
    this.media.release();
  }

  /** Captures media (rejects with a MediaError; the element reports it and goes on receive-only). */
  acquire(): Promise<MediaStream | null> {
    return this.media.acquire();
  }

  /** The device in use of each kind. */
  selected(): Partial<Record<DeviceKind, string>> {
    return {
      audioinput: this.media.deviceId('audioinput'),
      videoinput: this.media.deviceId('videoinput'),
      audiooutput: this.sinkId || undefined,
    };
  }

  /** Lists the devices again; the newest call wins when several overlap. */
  async refreshDevices(): Promise<DeviceInfo[]> {
    const call = ++this.listing;
    const devices = await listDevices(this.selected()).catch(() => []);
    if (call === this.listing) {
      this.devices = canChooseSpeaker ? devices : devices.filter((d) => d.kind !== 'audiooutput');
      this.host.requestUpdate();
    }
    return devices;
  }
}
