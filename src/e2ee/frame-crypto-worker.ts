/**
 * The frame-crypto worker: one per FrameCrypto, holding our send key, the receive keys of every
 * sender, and one CTR per send key shared by all our senders (camera, microphone, screen, every
 * peer link), so a (key, nonce) pair is never used twice.
 *
 * The worker is started from a `blob:` URL, because a cross-origin CDN module cannot start a
 * Worker from its own URL; frame-crypto.ts writes its source from the functions' text
 * (`toString()`). So every function here is self-contained, like the parts of the SFrame codec:
 * it uses only its arguments, globals and types (which vanish at compile time). The parts
 * (`frameCounters`, `frameReplay`, `frameTransforms`, `frameStreams`, `frameKeyring`) are factories
 * given the state and parts they need by `frameCryptoWorker`, the main function, which gets them
 * and the codec's factory as arguments.
 */
import type { SFrameCodec, SFrameKey } from './sframe.js';

/** Frame counters; every drop is counted once in `dropped` and once under its reason (`replayed` stands apart). */
export interface FrameCryptoCounters {
  /** Frames encrypted and passed on to the packetizer. */
  encrypted: number;
  /** Frames decrypted and passed on to the decoder. */
  decrypted: number;
  /** Frames dropped for want of a key, as malformed or as forged (the four reasons below). */
  dropped: number;
  /** Frames a sender dropped because no send key was set yet. */
  noSendKey: number;
  /** Frames dropped because their sender has no key with their KID. */
  noKey: number;
  /** Frames dropped because their trailer or header does not parse. */
  malformed: number;
  /** Frames dropped because their tag does not verify. */
  authFailed: number;
  /**
   * Authentic frames refused because their CTR was seen before (or is too old to tell); not in
   * `dropped`: browsers re-deliver a recent frame now and then (RTX padding re-forms it), so a few are normal.
   */
  replayed: number;
}

/** FrameCrypto.stats(): counters since start, in total, per media kind and per sender id. */
export interface FrameCryptoStats extends FrameCryptoCounters {
  /** Audio frames only. */
  audio: FrameCryptoCounters;
  /** Video frames only. */
  video: FrameCryptoCounters;
  /** Receive-side counters of each sender id frames were received from. */
  senders: Record<string, FrameCryptoCounters>;
  /** The KID we send with, or null before the first send key. */
  sendKid: number | null;
  /** The last key import that failed, if any. */
  lastError: string | null;
}

/** What each transform does; passed as RTCRtpScriptTransform options or with transferred streams. */
export type FrameTransformOptions = { role: 'send' } | { role: 'receive'; port: number; senderId: string };

/** Messages from FrameCrypto to its worker. */
export type FrameCryptoRequest =
  | { type: 'send-key'; kid: number; baseKey: Uint8Array }
  | { type: 'receive-key'; senderId: string; kid: number; baseKey: Uint8Array }
  | { type: 'remove-receive-keys'; senderId: string; keepKid?: number }
  | { type: 'bind'; port: number; senderId: string }
  | { type: 'streams'; options: FrameTransformOptions; readable: ReadableStream; writable: WritableStream }
  | { type: 'stats'; id: number };

/** Messages from the worker to FrameCrypto. */
export type FrameCryptoReply = { type: 'stats'; id: number; stats: FrameCryptoStats };

/** RTCEncodedVideoFrame / RTCEncodedAudioFrame as far as we use them. */
export interface EncodedFrame {
  /** The frame's bytes, replaced by the transform. */
  data: ArrayBuffer;
  /** 'key' | 'delta' | 'empty' on video frames; absent on audio frames. */
  readonly type?: string;
}

/** RTCRtpScriptTransformer (worker side of RTCRtpScriptTransform); not in TypeScript's DOM lib. */
export interface FrameTransformer {
  /** The frames in. */
  readonly readable: ReadableStream<EncodedFrame>;
  /** The frames out. */
  readonly writable: WritableStream<EncodedFrame>;
  /** What FrameCrypto passed to RTCRtpScriptTransform. */
  readonly options: FrameTransformOptions;
  /** Asks the remote sender for a key frame, where the browser has it. */
  sendKeyFrameRequest?: () => Promise<void>;
}

/** The CTRs seen from one key on one receiver: the highest, and a bitmap of the replay window below it. */
export interface ReplayWindow {
  /** The highest CTR seen (-1 before the first). */
  max: number;
  /** One bit per CTR of the window, at CTR modulo its width. */
  bits: Uint8Array;
}

/** One receiver (RTCRtpReceiver) of the worker, by the port number FrameCrypto gave it. */
export interface ReceivePort {
  /** Whose keys decrypt its frames. */
  senderId: string;
  /** Dropped frames for want of a key since the last decrypted one: ask for a key frame once one comes. */
  starved: boolean;
  /** Its transformer (null with createEncodedStreams, or before the rtctransform event). */
  transformer: FrameTransformer | null;
  /** Per key object, so a key replaced under the same KID starts a fresh window. */
  windows: WeakMap<SFrameKey, ReplayWindow>;
}

/** What became of one frame: the counter it goes to. */
export type FrameOutcome = 'encrypted' | 'decrypted' | 'noSendKey' | 'noKey' | 'malformed' | 'authFailed' | 'replayed';

/** The worker's keys and receivers, shared by its parts. */
export interface FrameWorkerState {
  /** The SFrame codec, built inside the worker. */
  readonly codec: SFrameCodec;
  /** The cipher suite of every key. */
  readonly suiteId: number;
  /** The key we send with; null before the first. */
  sendKey: SFrameKey | null;
  /** The next CTR of each KID we have sent with. Never reset, even if a KID is set again. */
  readonly nextCtr: Map<bigint, number>;
  /** Each sender's keys by KID, in the order they were set. */
  readonly receiveKeys: Map<string, Map<bigint, SFrameKey>>;
  /** The receivers by port number. */
  readonly ports: Map<number, ReceivePort>;
  /** The last key import that failed, if any. */
  lastError: string | null;
}

/** The frame counters: in total, per media kind and per sender id. Self-contained (a worker part). */
export function frameCounters() {
  const blank = (): FrameCryptoCounters => ({
    encrypted: 0,
    decrypted: 0,
    dropped: 0,
    noSendKey: 0,
    noKey: 0,
    malformed: 0,
    authFailed: 0,
    replayed: 0,
  });
  const totals = blank();
  const audio = blank();
  const video = blank();
  const senders = new Map<string, FrameCryptoCounters>();

  /** Counts one frame under `outcome`, and as dropped unless it went through or was a replay. */
  function count(isVideo: boolean, outcome: FrameOutcome, senderId?: string): void {
    const targets = [totals, isVideo ? video : audio];
    if (senderId !== undefined) {
      let perSender = senders.get(senderId);
      if (!perSender) senders.set(senderId, (perSender = blank()));
      targets.push(perSender);
    }
    for (const target of targets) {
      target[outcome]++;
      if (outcome !== 'encrypted' && outcome !== 'decrypted' && outcome !== 'replayed') target.dropped++;
    }
  }

  /** A copy of every counter, with the send key's KID and the last import error. */
  function snapshot(sendKey: SFrameKey | null, lastError: string | null): FrameCryptoStats {
    return {
      ...totals,
      audio: { ...audio },
      video: { ...video },
      senders: Object.fromEntries([...senders].map(([id, counters]) => [id, { ...counters }])),
      sendKid: sendKey ? Number(sendKey.kid) : null,
      lastError,
    };
  }

  return { count, snapshot };
}

/** What `frameCounters` returns. */
export type FrameCounters = ReturnType<typeof frameCounters>;

/** The replay check of authentic received frames: returns `accept`. Self-contained (a worker part). */
export function frameReplay() {
  // A sender's CTR also advances for its other tracks and peer links, so the window is wide:
  // about 20 s of a large mesh. Frames of one track arrive nearly in order.
  const REPLAY_WINDOW = 8192;

  /** Records `ctr` in `window`; false if it was seen before or is older than the window. */
  function fresh(window: ReplayWindow, ctr: number): boolean {
    const bit = (c: number) => [(c % REPLAY_WINDOW) >> 3, 1 << (c & 7)] as const;
    if (ctr > window.max) {
      for (let c = Math.max(window.max + 1, ctr - REPLAY_WINDOW + 1); c < ctr; c++) {
        const [at, mask] = bit(c);
        window.bits[at] &= ~mask;
      }
      window.max = ctr;
    } else {
      if (ctr + REPLAY_WINDOW <= window.max) return false;
      const [at, mask] = bit(ctr);
      if (window.bits[at] & mask) return false;
    }
    const [at, mask] = bit(ctr);
    window.bits[at] |= mask;
    return true;
  }

  /** Records `ctr` of a frame `port` received under `key`; false for a replay. */
  function accept(port: ReceivePort, key: SFrameKey, ctr: bigint): boolean {
    let window = port.windows.get(key);
    if (!window) port.windows.set(key, (window = { max: -1, bits: new Uint8Array(REPLAY_WINDOW / 8) }));
    return fresh(window, Number(ctr));
  }

  return accept;
}

/** Encryption and decryption of one frame. Self-contained (a worker part): uses only its arguments and globals. */
export function frameTransforms(state: FrameWorkerState, counters: FrameCounters, accept: ReturnType<typeof frameReplay>) {
  const { codec } = state;
  const { count } = counters;

  /** Encrypts a frame with the send key and passes it on; drops it without one. */
  async function encryptFrame(frame: EncodedFrame, controller: TransformStreamDefaultController<EncodedFrame>): Promise<void> {
    // Only video frames have a type ('key' | 'delta' | 'empty').
    const isVideo = typeof frame.type === 'string';
    const key = state.sendKey;
    if (!key) return count(isVideo, 'noSendKey');
    // Taken and advanced synchronously, so concurrent transforms never share a CTR.
    const ctr = state.nextCtr.get(key.kid) ?? 0;
    // 2^53 frames is out of reach, but a counter must never wrap: treat it as having no key.
    if (ctr >= Number.MAX_SAFE_INTEGER) return count(isVideo, 'noSendKey');
    state.nextCtr.set(key.kid, ctr + 1);
    const clear = codec.clearBytes(isVideo ? 'video' : 'audio', frame.type === 'key');
    frame.data = (await codec.protectFrame(key, BigInt(ctr), new Uint8Array(frame.data), clear, isVideo)).buffer;
    controller.enqueue(frame);
    count(isVideo, 'encrypted');
  }

  /** Decrypts a frame with its sender's keys and passes it on if authentic and new; drops it otherwise. */
  async function decryptFrame(
    frame: EncodedFrame,
    controller: TransformStreamDefaultController<EncodedFrame>,
    port: ReceivePort,
  ): Promise<void> {
    const isVideo = typeof frame.type === 'string';
    const senderId = port.senderId;
    const keys = state.receiveKeys.get(senderId);
    let key: SFrameKey | undefined;
    const opened = await codec.unprotectFrame((kid) => (key = keys?.get(kid)), new Uint8Array(frame.data), isVideo);
    if (!opened.ok) {
      if (opened.error === 'no-key') port.starved = true;
      return count(isVideo, opened.error === 'no-key' ? 'noKey' : opened.error === 'auth' ? 'authFailed' : 'malformed', senderId);
    }
    // Checked once authentic, so forged frames cannot fill the window.
    if (!accept(port, key!, opened.ctr)) return count(isVideo, 'replayed', senderId);
    port.starved = false;
    frame.data = opened.plaintext.buffer;
    controller.enqueue(frame);
    count(isVideo, 'decrypted', senderId);
  }

  return { encryptFrame, decryptFrame };
}

/**
 * The frame streams of senders and receivers: returns `attach`, which puts the transforms on them.
 * Self-contained (a worker part): uses only its arguments and globals.
 */
export function frameStreams(state: FrameWorkerState, counters: FrameCounters, transforms: ReturnType<typeof frameTransforms>) {
  const { count } = counters;
  const { encryptFrame, decryptFrame } = transforms;

  /** Pipes `readable` through encryption (role 'send') or decryption (role 'receive') into `writable`. */
  function attach(
    readable: ReadableStream<EncodedFrame>,
    writable: WritableStream<EncodedFrame>,
    options: FrameTransformOptions,
    transformer: FrameTransformer | null,
  ): void {
    let port: ReceivePort | null = null;
    if (options.role === 'receive') {
      // A 'bind' may have come first (messages and rtctransform events are separate task sources).
      port = state.ports.get(options.port) ?? { senderId: options.senderId, starved: false, transformer: null, windows: new WeakMap() };
      port.transformer = transformer;
      state.ports.set(options.port, port);
    }
    const transform = new TransformStream<EncodedFrame, EncodedFrame>({
      async transform(frame, controller) {
        const isVideo = typeof frame.type === 'string';
        try {
          await (port ? decryptFrame(frame, controller, port) : encryptFrame(frame, controller));
        } catch {
          // Fail closed: a frame we could not process is dropped, never passed on as it came.
          count(isVideo, 'malformed', port?.senderId);
        }
      },
    });
    readable
      .pipeThrough(transform)
      .pipeTo(writable)
      .catch(() => {});
  }

  return attach;
}

/** Key changes and receiver bindings. Self-contained (a worker part): uses only `state` and globals. */
export function frameKeyring(state: FrameWorkerState) {
  const { codec, suiteId, receiveKeys, ports } = state;
  // Keys kept per sender, newest first out last: its current one, the one about to take over and
  // two it replaced before anyone switched (rotations on departures in quick succession). A peer
  // sending key after key only pushes its own older keys out.
  const MAX_RECEIVE_KEYS = 4;

  /** Asks for a key frame on each receiver of `senderId` that dropped frames for want of a key. */
  function requestKeyFrames(senderId: string): void {
    for (const port of ports.values()) {
      if (port.senderId !== senderId || !port.starved) continue;
      port.starved = false;
      // A receiver that starts with a new key needs a key frame; not every browser implements this.
      if (typeof port.transformer?.sendKeyFrameRequest === 'function') port.transformer.sendKeyFrameRequest().catch(() => {});
    }
  }

  /** Imports our send key; frames encrypted from then on use it. */
  async function setSendKey(kid: number, baseKey: Uint8Array): Promise<void> {
    state.sendKey = await codec.importKey(suiteId, BigInt(kid), baseKey);
  }

  /** Imports a key of `senderId`, as its newest, keeping at most MAX_RECEIVE_KEYS. */
  async function addReceiveKey(senderId: string, kid: number, baseKey: Uint8Array): Promise<void> {
    const key = await codec.importKey(suiteId, BigInt(kid), baseKey);
    let keys = receiveKeys.get(senderId);
    if (!keys) receiveKeys.set(senderId, (keys = new Map()));
    // A Map keeps insertion order: a KID set again becomes the newest.
    keys.delete(key.kid);
    keys.set(key.kid, key);
    for (const oldKid of keys.keys()) if (keys.size > MAX_RECEIVE_KEYS) keys.delete(oldKid);
    requestKeyFrames(senderId);
  }

  /** Forgets the keys of `senderId`: all of them, or all but `keepKid`. */
  function removeReceiveKeys(senderId: string, keepKid?: number): void {
    const keys = receiveKeys.get(senderId);
    if (!keys) return;
    for (const kid of [...keys.keys()]) {
      if (keepKid === undefined || kid !== BigInt(keepKid)) keys.delete(kid);
    }
    if (keys.size === 0) receiveKeys.delete(senderId);
  }

  /** Binds receiver `port` to `senderId`'s keys, with fresh replay windows. */
  function bind(port: number, senderId: string): void {
    const bound = ports.get(port);
    if (bound) {
      bound.senderId = senderId;
      bound.windows = new WeakMap();
    } else ports.set(port, { senderId, starved: false, transformer: null, windows: new WeakMap() });
  }

  return { setSendKey, addReceiveKey, removeReceiveKeys, bind };
}

/** The worker's parts, as `frameCryptoWorker` takes them: each a self-contained factory. */
export interface FrameWorkerParts {
  /** Frame counters. */
  readonly counters: typeof frameCounters;
  /** The replay check. */
  readonly replay: typeof frameReplay;
  /** Encryption and decryption of one frame. */
  readonly transforms: typeof frameTransforms;
  /** The frame streams of senders and receivers. */
  readonly streams: typeof frameStreams;
  /** Keys and receiver bindings. */
  readonly keyring: typeof frameKeyring;
}

/** The worker's parts, by the names `frameCryptoWorker` uses (frame-crypto.ts puts their source text together). */
export const FRAME_WORKER_PARTS: FrameWorkerParts = {
  counters: frameCounters,
  replay: frameReplay,
  transforms: frameTransforms,
  streams: frameStreams,
  keyring: frameKeyring,
};

/**
 * The worker's main function: wires the parts together and answers FrameCrypto's messages.
 * Self-contained: runs as `(frameCryptoWorker)(parts, createCodec, suite)` inside a Blob worker
 * (see frame-crypto.ts), so it may use only its arguments and globals.
 */
export function frameCryptoWorker(parts: FrameWorkerParts, createCodec: () => SFrameCodec, suiteId: number): void {
  const scope = self as unknown as {
    onmessage: ((event: MessageEvent<FrameCryptoRequest>) => void) | null;
    onrtctransform: ((event: { transformer: FrameTransformer }) => void) | null;
    postMessage(message: FrameCryptoReply): void;
  };
  const state: FrameWorkerState = {
    codec: createCodec(),
    suiteId,
    sendKey: null,
    nextCtr: new Map(),
    receiveKeys: new Map(),
    ports: new Map(),
    lastError: null,
  };
  const counters = parts.counters();
  const attach = parts.streams(state, counters, parts.transforms(state, counters, parts.replay()));
  const keyring = parts.keyring(state);
  // Key imports are asynchronous; one queue applies key changes (and answers stats) in call order.
  let queue: Promise<void> = Promise.resolve();
  const later = (task: () => void | Promise<void>) => {
    queue = queue.then(task).catch((error: unknown) => {
      state.lastError = String(error);
    });
  };

  scope.onrtctransform = (event) => {
    const transformer = event.transformer;
    attach(transformer.readable, transformer.writable, transformer.options, transformer);
  };

  scope.onmessage = (event) => {
    const message = event.data;
    switch (message.type) {
      case 'send-key':
        later(() => keyring.setSendKey(message.kid, message.baseKey));
        break;
      case 'receive-key':
        later(() => keyring.addReceiveKey(message.senderId, message.kid, message.baseKey));
        break;
      case 'remove-receive-keys':
        later(() => keyring.removeReceiveKeys(message.senderId, message.keepKid));
        break;
      case 'bind':
        keyring.bind(message.port, message.senderId);
        break;
      case 'streams':
        attach(message.readable, message.writable, message.options, null);
        break;
      case 'stats':
        later(() => scope.postMessage({ type: 'stats', id: message.id, stats: counters.snapshot(state.sendKey, state.lastError) }));
        break;
    }
  };
}
