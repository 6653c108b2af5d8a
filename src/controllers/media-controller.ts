/**
 * Gives the element its local camera and microphone. Owns the capture for as long as the
 * element is connected and releases every track when it disconnects.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { LocalMedia } from '../core/local-media.js';

export class MediaController implements ReactiveController {
  readonly media = new LocalMedia();
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    this.unsubscribe = [
      this.media.on('stream', () => this.host.requestUpdate()),
      this.media.on('mute', () => this.host.requestUpdate()),
    ];
  }

  hostDisconnected(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.media.release();
  }

  /** Captures media (rejects with a MediaError; the element reports it and goes on receive-only). */
  acquire(): Promise<MediaStream | null> {
    return this.media.acquire();
  }
}
