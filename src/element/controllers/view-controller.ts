/**
 * Fullscreen (the whole room or one tile) and picture-in-picture: Document Picture-in-Picture
 * where the browser has it and the page is not in an iframe (the call's tiles and controls in a
 * small always-on-top window), else video picture-in-picture of one tile's video.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type PipMode = 'document' | 'video';

interface DocumentPip {
  requestWindow(options?: { width?: number; height?: number }): Promise<Window>;
}

/** Document Picture-in-Picture, where the browser has it. */
function documentPip(): DocumentPip | null {
  return (globalThis as { documentPictureInPicture?: DocumentPip }).documentPictureInPicture ?? null;
}

/** Which picture-in-picture this page can open: only a top-level page may open a document one. */
export function pipSupport(): PipMode | null {
  if (documentPip() && window.top === window) return 'document';
  return document.pictureInPictureEnabled ? 'video' : null;
}

export class ViewController implements ReactiveController {
  /** What is fullscreen: null (nothing of ours), '' (the whole room) or a tile's id. */
  fullscreen: string | null = null;
  /** The open picture-in-picture, if any. */
  pip: PipMode | null = null;
  /** In document picture-in-picture: where the element renders the small view. */
  pipRoot: ShadowRoot | null = null;
  private pipWindow: Window | null = null;
  private pipVideo: HTMLVideoElement | null = null;
  /** While a request is under way, the change events it causes are its own business. */
  private entering = false;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    /** Called when fullscreen or picture-in-picture opened or closed (not on requests alone). */
    private readonly onChange: (what: 'fullscreen' | 'pip') => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('fullscreenchange', this.onFullscreenChange);
  }

  hostDisconnected(): void {
    document.removeEventListener('fullscreenchange', this.onFullscreenChange);
    void this.closePip();
    if (this.fullscreen !== null && document.fullscreenElement === this.host) void document.exitFullscreen().catch(() => undefined);
  }

  /** Makes `target` (the host, or a tile in its shadow root) fullscreen; rejects when refused. */
  async enterFullscreen(target: Element, id: string): Promise<void> {
    if (!document.fullscreenEnabled) throw new Error('fullscreen is not enabled for this page');
    this.entering = true;
    try {
      // From one tile to another: the browser may not take a new element while one is fullscreen.
      if (document.fullscreenElement === this.host) await document.exitFullscreen();
      await target.requestFullscreen();
    } finally {
      this.entering = false;
    }
    this.fullscreen = id;
    this.onChange('fullscreen');
    this.host.requestUpdate();
  }

  async exitFullscreen(): Promise<void> {
    if (document.fullscreenElement === this.host) await document.exitFullscreen();
  }

  /**
   * Opens picture-in-picture. With `styles` and a document PiP, a window whose shadow root the
   * element renders into (`pipRoot`); otherwise video PiP of `video`. Rejects when refused.
   */
  async openPip(styles: string, video: HTMLVideoElement | null, size: { width: number; height: number }): Promise<PipMode> {
    const support = pipSupport();
    if (support === 'document') {
      const win = await documentPip()!.requestWindow(size);
      // A constructed stylesheet: pages with a strict CSP (no 'unsafe-inline') allow it.
      const sheet = new (win as Window & typeof globalThis).CSSStyleSheet();
      sheet.replaceSync(styles);
      const holder = win.document.createElement('div');
      holder.className = 'pip-host';
      win.document.body.append(holder);
      win.document.body.style.margin = '0';
      const root = holder.attachShadow({ mode: 'open' });
      root.adoptedStyleSheets = [sheet];
      this.pipWindow = win;
      this.pipRoot = root;
      win.addEventListener('pagehide', () => this.pipClosed(win), { once: true });
      return this.pipOpened('document');
    }
    if (support === 'video' && video) {
      // A video whose stream was just replaced has no metadata yet, which the browser refuses;
      // its metadata comes within moments, and the click's activation lasts seconds.
      if (video.readyState < HTMLMediaElement.HAVE_METADATA)
        await new Promise((resolve) => {
          video.addEventListener('loadedmetadata', resolve, { once: true });
          setTimeout(resolve, 2_000);
        });
      await video.requestPictureInPicture();
      this.pipVideo = video;
      video.addEventListener('leavepictureinpicture', () => this.pipClosed(video), { once: true });
      return this.pipOpened('video');
    }
    throw new Error('no picture-in-picture available');
  }

  async closePip(): Promise<void> {
    // Closed here: reported at once, not on the window's pagehide or the video's
    // leavepictureinpicture (those report closes by the person, with the window's own controls).
    const win = this.pipWindow;
    const video = this.pipVideo;
    if (win) {
      win.close();
      this.pipClosed(win);
    } else if (video) {
      if (document.pictureInPictureElement) await document.exitPictureInPicture().catch(() => undefined);
      this.pipClosed(video);
    }
  }

  private pipOpened(mode: PipMode): PipMode {
    this.pip = mode;
    this.onChange('pip');
    this.host.requestUpdate();
    return mode;
  }

  private pipClosed(source: Window | HTMLVideoElement): void {
    if (source !== this.pipWindow && source !== this.pipVideo) return;
    this.pipWindow = null;
    this.pipVideo = null;
    this.pipRoot = null;
    this.pip = null;
    this.onChange('pip');
    this.host.requestUpdate();
  }

  private readonly onFullscreenChange = () => {
    if (this.entering || document.fullscreenElement === this.host || this.fullscreen === null) return;
    this.fullscreen = null;
    this.onChange('fullscreen');
    this.host.requestUpdate();
  };
}
