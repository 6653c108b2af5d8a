/**
 * Counts what a page holds that could leak: open RTCPeerConnections, live capture tracks,
 * pending timers, running workers and listeners on long-lived targets, plus the JS heap where
 * the browser tells (Chromium, after a forced GC with --expose-gc). Installed by patching the
 * page's globals, so it sees what PeerJS, Lit and the element do alike.
 */

/** What the page holds at one moment; `timers` and `listeners` count those made since a mark. */
export interface Census {
  peerConnections: number;
  liveTracks: number;
  timers: number;
  workers: number;
  listeners: number;
}

type TimerId = number;

export function installLeakProbe(watched: () => EventTarget[]) {
  /** Pending timers, with the mark current when each was made. */
  const timers = new Map<TimerId, number>();
  let mark = 0;
  const w = window as unknown as Record<string, unknown> & typeof window;
  // Bound DOM timer functions (the Node typings of setTimeout would get in the way here).
  const st = window.setTimeout.bind(window) as (handler: () => void, ms?: number) => number;
  const ct = window.clearTimeout.bind(window) as (id?: number) => void;
  const si = window.setInterval.bind(window) as (handler: TimerHandler, ms?: number, ...args: unknown[]) => number;
  const ci = window.clearInterval.bind(window) as (id?: number) => void;
  const originals = { setTimeout: window.setTimeout, clearTimeout: window.clearTimeout, setInterval: window.setInterval, clearInterval: window.clearInterval };
  /** The mark of the timer whose callback is running: timers it makes belong to its lineage. */
  let running: number | null = null;
  const inLineage = (epoch: number, fn: () => void) => {
    const previous = running;
    running = epoch;
    try {
      fn();
    } finally {
      running = previous;
    }
  };
  // A timer made by a timer's callback (a chain that re-arms itself, like a socket heartbeat)
  // keeps the mark of the chain's first timer: it is the same long-lived activity.
  w.setTimeout = ((handler: TimerHandler, ms?: number, ...args: unknown[]) => {
    const epoch = running ?? mark;
    const id: TimerId = st(() => {
      timers.delete(id);
      if (typeof handler === 'function') inLineage(epoch, () => (handler as (...a: unknown[]) => void)(...args));
    }, ms);
    timers.set(id, epoch);
    return id;
  }) as unknown as typeof setTimeout;
  w.clearTimeout = ((id?: TimerId) => {
    if (id !== undefined) timers.delete(id);
    ct(id);
  }) as unknown as typeof clearTimeout;
  w.setInterval = ((handler: TimerHandler, ms?: number, ...args: unknown[]) => {
    const epoch = running ?? mark;
    const id = si(() => {
      if (typeof handler === 'function') inLineage(epoch, () => (handler as (...a: unknown[]) => void)(...args));
    }, ms);
    timers.set(id, epoch);
    return id;
  }) as unknown as typeof setInterval;
  w.clearInterval = ((id?: TimerId) => {
    if (id !== undefined) timers.delete(id);
    ci(id);
  }) as unknown as typeof clearInterval;

  const pcs: WeakRef<RTCPeerConnection>[] = [];
  const Original = window.RTCPeerConnection;
  w.RTCPeerConnection = class extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      pcs.push(new WeakRef(this));
    }
  } as typeof RTCPeerConnection;

  const tracks: WeakRef<MediaStreamTrack>[] = [];
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await gum(constraints);
    for (const track of stream.getTracks()) tracks.push(new WeakRef(track));
    return stream;
  };

  let workers = 0;
  const OriginalWorker = window.Worker;
  w.Worker = class extends OriginalWorker {
    private running = true;
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      workers++;
    }
    override terminate(): void {
      if (this.running) workers--;
      this.running = false;
      super.terminate();
    }
  } as typeof Worker;

  // Listeners on targets that live as long as the page: what a component forgets there leaks.
  const listeners = new Map<string, number>();
  const ids = new WeakMap<object, number>();
  let nextId = 1;
  const key = (target: EventTarget, type: string, listener: unknown, options?: boolean | EventListenerOptions) => {
    const capture = typeof options === 'boolean' ? options : !!options?.capture;
    const idOf = (o: object) => ids.get(o) ?? (ids.set(o, nextId++), ids.get(o)!);
    return `${idOf(target)}:${type}:${typeof listener === 'object' || typeof listener === 'function' ? idOf(listener as object) : 0}:${capture}`;
  };
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (listener && watched().includes(this) && !(typeof options === 'object' && options?.once)) listeners.set(key(this, type, listener, options), mark);
    add.call(this, type, listener, options);
  };
  EventTarget.prototype.removeEventListener = function (type, listener, options) {
    if (listener) listeners.delete(key(this, type, listener, options));
    remove.call(this, type, listener, options);
  };

  const since = (map: Map<unknown, number>, from: number) => [...map.values()].filter((m) => m >= from).length;

  return {
    /** Starts a new mark: census(mark) counts only timers and listeners made from now on. */
    mark(): number {
      return ++mark;
    },
    census(from = 0): Census {
      return {
        peerConnections: pcs.filter((ref) => {
          const pc = ref.deref();
          return pc !== undefined && pc.connectionState !== 'closed' && pc.signalingState !== 'closed';
        }).length,
        liveTracks: tracks.filter((ref) => ref.deref()?.readyState === 'live').length,
        timers: since(timers, from),
        workers,
        listeners: since(listeners, from),
      };
    },
    /** The JS heap after a full GC, in bytes (Chromium started with --js-flags=--expose-gc), else null. */
    async heap(): Promise<number | null> {
      const gc = (window as unknown as { gc?: () => void }).gc;
      const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
      if (!gc || !memory) return null;
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise<void>((resolve) => st(() => resolve(), 50));
      }
      return memory.usedJSHeapSize;
    },
    /** Puts the page's globals back. */
    uninstall(): void {
      Object.assign(w, { ...originals, RTCPeerConnection: Original, Worker: OriginalWorker });
      navigator.mediaDevices.getUserMedia = gum;
      EventTarget.prototype.addEventListener = add;
      EventTarget.prototype.removeEventListener = remove;
    },
  };
}
