/**
 * Gives the element its local camera and microphone. Owns the capture for as long as the
 * element is connected and releases every track when it disconnects.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { LocalMedia, MediaError } from '../core/local-media.js';

export class MediaController implements ReactiveController {
  readonly media = new LocalMedia();
  /** The last capture error, shown to the person. */
  error: MediaError | null = null;
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

  /** Captures media; on failure keeps the error and resolves null (the call can go on receive-only). */
  async acquire(): Promise<MediaStream | null> {
    try {
      const stream = await this.media.acquire();
      this.error = null;
      return stream;
    } catch (error) {
      this.error = error instanceof MediaError ? error : null;
      this.host.requestUpdate();
      throw error;
    }
  }
}
