/**
 * The boxes the call screen lays out in: the tile area of the element (and of its document
 * picture-in-picture window), and the element's own width, measured by a ResizeObserver. A change of either draws the element again; the layout itself is the
 * pure `layoutTiles`.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface Area {
  readonly width: number;
  readonly height: number;
}

const NONE: Area = Object.freeze({ width: 0, height: 0 });

export class LayoutController implements ReactiveController {
  /** The tile area of the element's grid. */
  area: Area = NONE;
  /** The tile area in document picture-in-picture. */
  pipArea: Area = NONE;
  /** The element's width. */
  width = 0;
  readonly #host: ReactiveControllerHost & HTMLElement & { readonly renderRoot: ParentNode };
  readonly #pipRoot: () => ParentNode | null;
  #observer: ResizeObserver | null = null;
  #frame = 0;
  /** The grids observed, and which area each one measures. */
  #grids = new Map<Element, 'area' | 'pipArea'>();

  constructor(host: ReactiveControllerHost & HTMLElement & { readonly renderRoot: ParentNode }, pipRoot: () => ParentNode | null) {
    this.#host = host;
    this.#pipRoot = pipRoot;
    host.addController(this);
  }

  hostConnected(): void {
    this.#observer = new ResizeObserver((entries) => this.#measured(entries));
    this.#observer.observe(this.#host);
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    this.#observer = null;
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#grids.clear();
  }

  hostUpdated(): void {
    // The grid is drawn anew when the call starts or ends and with picture-in-picture: follow it.
    const grids = new Map<Element, 'area' | 'pipArea'>();
    const main = this.#host.renderRoot.querySelector('.grid');
    const pip = this.#pipRoot()?.querySelector('.grid');
    if (main) grids.set(main, 'area');
    if (pip) grids.set(pip, 'pipArea');
    for (const grid of this.#grids.keys()) if (!grids.has(grid)) this.#observer?.unobserve(grid);
    for (const grid of grids.keys()) if (!this.#grids.has(grid)) this.#observer?.observe(grid);
    this.#grids = grids;
  }

  /** Whether a measured change waits for its draw (the next frame). */
  get pending(): boolean {
    return this.#frame !== 0;
  }

  #measured(entries: readonly ResizeObserverEntry[]): void {
    let changed = false;
    for (const entry of entries) {
      const { width, height } = entry.contentRect;
      if (entry.target === this.#host) {
        changed ||= Math.floor(width) !== this.width;
        this.width = Math.floor(width);
        continue;
      }
      const which = this.#grids.get(entry.target);
      if (!which) continue;
      const area = { width: Math.floor(width), height: Math.floor(height) };
      changed ||= area.width !== this[which].width || area.height !== this[which].height;
      this[which] = Object.freeze(area);
    }
    // A frame later: drawing in the observer's own turn can resize what it observes (the host's
    // sizer, the grid beside a control bar that changed), which the browser reports as an error.
    if (changed && !this.#frame)
      this.#frame = requestAnimationFrame(() => {
        this.#frame = 0;
        this.#host.requestUpdate();
      });
  }
}
