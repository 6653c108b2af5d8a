/**
 * Fullscreen (the whole room or one tile) and picture-in-picture: Document Picture-in-Picture
 * where the browser has it and the page is not in an iframe (the call's tiles and controls in a
 * small always-on-top window), else video picture-in-picture of one tile's video. What is open
 * goes to the store; picture-in-picture closes when the call ends.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { ERROR_CODES } from '../../constants.js';
import type { CallStore } from '../../store/call-store.js';
import type { Fail } from '../config.js';

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
  #pipWindow: Window | null = null;
  #pipVideo: HTMLVideoElement | null = null;
  /** While a request is under way, the change events it causes are its own business. */
  #entering = false;
  #unsubscribe = () => {};

  readonly #host: ReactiveControllerHost & HTMLElement & { readonly renderRoot: ParentNode; readonly theme: string | null };
  readonly #store: CallStore;
  readonly #fail: Fail;
  /** Draws the call into a document picture-in-picture window. */
  readonly #draw: (root: ShadowRoot) => void;

  constructor(
    host: ReactiveControllerHost & HTMLElement & { readonly renderRoot: ParentNode; readonly theme: string | null },
    store: CallStore,
    fail: Fail,
    draw: (root: ShadowRoot) => void,
  ) {
    this.#host = host;
    this.#store = store;
    this.#fail = fail;
    this.#draw = draw;
    host.addController(this);
  }

  hostUpdated(): void {
    // Document picture-in-picture shows the same call: it is drawn with the element.
    const root = this.pipRoot;
    if (!root) return;
    if (this.#host.theme) root.host.setAttribute('theme', this.#host.theme);
    else root.host.removeAttribute('theme');
    this.#draw(root);
  }

  hostConnected(): void {
    document.addEventListener('fullscreenchange', this.#onFullscreenChange);
    this.#unsubscribe = this.#store.onState((state) => (state === 'left' || state === 'error') && void this.#closePip());
  }

  hostDisconnected(): void {
    this.#unsubscribe();
    document.removeEventListener('fullscreenchange', this.#onFullscreenChange);
    void this.#closePip();
    if (this.fullscreen !== null && document.fullscreenElement === this.#host) void document.exitFullscreen().catch(() => undefined);
  }

  /** Makes `target` (the host, or a tile in its shadow root) fullscreen; rejects when refused. */
  async #enterFullscreen(target: Element, id: string): Promise<void> {
    if (!document.fullscreenEnabled) throw new Error('fullscreen is not enabled for this page');
    this.#entering = true;
    try {
      // From one tile to another: the browser may not take a new element while one is fullscreen.
      if (document.fullscreenElement === this.#host) await document.exitFullscreen();
      await target.requestFullscreen();
    } finally {
      this.#entering = false;
    }
    this.fullscreen = id;
    this.#changed('fullscreen');
  }

  /**
   * Opens picture-in-picture (`styles` for a document one), or closes it; resolves whether it is
   * open. A refusal is reported (`pip-unavailable`).
   */
  async togglePip(styles: string): Promise<boolean> {
    if (this.pip) {
      await this.#closePip();
      return false;
    }
    try {
      if (this.#store.getState().state !== 'joined') throw new Error('not in a call');
      await this.#openPip(styles, this.#videoForPip(), { width: 480, height: 360 });
      return true;
    } catch (error) {
      this.#fail(ERROR_CODES.pipUnavailable, `Picture-in-picture could not open: ${String(error)}`);
      return false;
    }
  }

  /** Makes the room (`id` '') or a tile fullscreen, or leaves fullscreen when it already is; resolves whether something is. */
  async toggleFullscreen(id: string): Promise<boolean> {
    if (this.fullscreen === id) {
      await this.#exitFullscreen();
      return false;
    }
    const target = id ? this.#host.renderRoot.querySelector(`.grid .tile[data-id="${CSS.escape(id)}"]`) : this.#host;
    try {
      if (!target) throw new Error(`there is no tile ${id}`);
      await this.#enterFullscreen(target, id);
      return true;
    } catch (error) {
      this.#fail(ERROR_CODES.fullscreenUnavailable, `Fullscreen could not start: ${String(error)}`);
      return false;
    }
  }

  async #exitFullscreen(): Promise<void> {
    if (document.fullscreenElement === this.#host) await document.exitFullscreen();
  }

  /**
   * Opens picture-in-picture. With `styles` and a document PiP, a window whose shadow root the
   * element renders into (`pipRoot`); otherwise video PiP of `video`. Rejects when refused.
   */
  async #openPip(styles: string, video: HTMLVideoElement | null, size: { width: number; height: number }): Promise<PipMode> {
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
      this.#pipWindow = win;
      this.pipRoot = root;
      win.addEventListener('pagehide', () => this.#pipClosed(win), { once: true });
      return this.#pipOpened('document');
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
      this.#pipVideo = video;
      video.addEventListener('leavepictureinpicture', () => this.#pipClosed(video), { once: true });
      return this.#pipOpened('video');
    }
    throw new Error('no picture-in-picture available');
  }

  async #closePip(): Promise<void> {
    // Closed here: reported at once, not on the window's pagehide or the video's
    // leavepictureinpicture (those report closes by the person, with the window's own controls).
    const win = this.#pipWindow;
    const video = this.#pipVideo;
    if (win) {
      win.close();
      this.#pipClosed(win);
    } else if (video) {
      if (document.pictureInPictureElement) await document.exitPictureInPicture().catch(() => undefined);
      this.#pipClosed(video);
    }
  }

  /** For video picture-in-picture: the active speaker's video, else the first remote one, else our own. */
  #videoForPip(): HTMLVideoElement | null {
    const all = [...this.#host.renderRoot.querySelectorAll<HTMLVideoElement>('.grid .tile video')].filter((v) => v.srcObject && !v.hidden);
    // Playing ones first: a video whose stream was just replaced must load again before it can go.
    const videos = [...all.filter((v) => v.readyState >= HTMLMediaElement.HAVE_METADATA), ...all];
    const speaker = this.#store.getState().speaker;
    return (
      videos.find((v) => v.closest<HTMLElement>('.tile')?.dataset.id === speaker && !v.closest('.local')) ??
      videos.find((v) => !v.closest('.local')) ??
      videos[0] ??
      null
    );
  }

  /** Tells the store (and so the page, `vr-pip-change` or `vr-fullscreen-change`) what opened or closed. */
  #changed(what: 'fullscreen' | 'pip'): void {
    if (what === 'pip') this.#store.dispatch('view:pip', { mode: this.pip });
    else this.#store.dispatch('view:fullscreen', { id: this.fullscreen });
  }

  #pipOpened(mode: PipMode): PipMode {
    this.pip = mode;
    this.#changed('pip');
    return mode;
  }

  #pipClosed(source: Window | HTMLVideoElement): void {
    if (source !== this.#pipWindow && source !== this.#pipVideo) return;
    this.#pipWindow = null;
    this.#pipVideo = null;
    this.pipRoot = null;
    this.pip = null;
    this.#changed('pip');
  }

  readonly #onFullscreenChange = () => {
    if (this.#entering || document.fullscreenElement === this.#host || this.fullscreen === null) return;
    this.fullscreen = null;
    this.#changed('fullscreen');
  };
}
