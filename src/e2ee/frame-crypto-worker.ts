/**
 * The frame-crypto worker: one per FrameCrypto, holding our send key, the receive keys of every
 * sender, and one CTR per send key shared by all our senders (camera, microphone, screen, every
 * peer link), so a (key, nonce) pair is never used twice.
 *
 * `frameCryptoWorker` is self-contained like the parts of the SFrame codec (it gets the codec's
 * factory as an argument): the worker is started from a `blob:` URL whose source is its text and
 * `sframeCodecSource()`, because a cross-origin CDN module cannot start a Worker from its own URL.
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

/**
 * The worker's main function. Self-contained: runs as `(frameCryptoWorker)(codecFactory, suite)`
 * inside a Blob worker, so it may use only its arguments and globals.
 */
export function frameCryptoWorker(createCodec: () => SFrameCodec, suiteId: number): void {
  /** RTCEncodedVideoFrame / RTCEncodedAudioFrame as far as we use them. */
  interface EncodedFrame {
    data: ArrayBuffer;
    readonly type?: string;
  }
  /** RTCRtpScriptTransformer (worker side of RTCRtpScriptTransform); not in TypeScript's DOM lib. */
  interface Transformer {
    readonly readable: ReadableStream<EncodedFrame>;
    readonly writable: WritableStream<EncodedFrame>;
    readonly options: FrameTransformOptions;
    sendKeyFrameRequest?: () => Promise<void>;
  }
  /** The CTRs seen from one key on one receiver: the highest, and a bitmap of the REPLAY_WINDOW below it. */
  interface ReplayWindow {
    max: number;
    bits: Uint8Array;
  }
  interface Port {
    senderId: string;
    /** Dropped frames for want of a key since the last decrypted one: ask for a key frame once one comes. */
    starved: boolean;
    transformer: Transformer | null;
    /** Per key object, so a key replaced under the same KID starts a fresh window. */
    windows: WeakMap<SFrameKey, ReplayWindow>;
  }
  type Outcome = 'encrypted' | 'decrypted' | 'noSendKey' | 'noKey' | 'malformed' | 'authFailed' | 'replayed';

  const scope = self as unknown as {
    onmessage: ((event: MessageEvent<FrameCryptoRequest>) => void) | null;
    onrtctransform: ((event: { transformer: Transformer }) => void) | null;
    postMessage(message: FrameCryptoReply): void;
  };
  const codec = createCodec();
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
  // A sender's CTR also advances for its other tracks and peer links, so the window is wide:
  // about 20 s of a large mesh. Frames of one track arrive nearly in order.
  const REPLAY_WINDOW = 8192;
  // Keys kept per sender, newest first out last: its current one, the one about to take over and
  // two it replaced before anyone switched (rotations on departures in quick succession). A peer
  // sending key after key only pushes its own older keys out.
  const MAX_RECEIVE_KEYS = 4;
  const totals = blank();
  const audio = blank();
  const video = blank();
  const senders = new Map<string, FrameCryptoCounters>();
  let sendKey: SFrameKey | null = null;
  // The next CTR of each KID we have sent with. Never reset, even if a KID is set again.
  const nextCtr = new Map<bigint, number>();
  const receiveKeys = new Map<string, Map<bigint, SFrameKey>>();
  const ports = new Map<number, Port>();
  let lastError: string | null = null;
  // Key imports are asynchronous; one queue applies key changes (and answers stats) in call order.
  let queue: Promise<void> = Promise.resolve();
  const later = (task: () => void | Promise<void>) => {
    queue = queue.then(task).catch((error: unknown) => {
      lastError = String(error);
    });
  };

  function count(isVideo: boolean, outcome: Outcome, senderId?: string): void {
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

  async function encryptFrame(frame: EncodedFrame, controller: TransformStreamDefaultController<EncodedFrame>): Promise<void> {
    // Only video frames have a type ('key' | 'delta' | 'empty').
    const isVideo = typeof frame.type === 'string';
    const key = sendKey;
    if (!key) return count(isVideo, 'noSendKey');
    // Taken and advanced synchronously, so concurrent transforms never share a CTR.
    const ctr = nextCtr.get(key.kid) ?? 0;
    // 2^53 frames is out of reach, but a counter must never wrap: treat it as having no key.
    if (ctr >= Number.MAX_SAFE_INTEGER) return count(isVideo, 'noSendKey');
    nextCtr.set(key.kid, ctr + 1);
    const clear = codec.clearBytes(isVideo ? 'video' : 'audio', frame.type === 'key');
    frame.data = (await codec.protectFrame(key, BigInt(ctr), new Uint8Array(frame.data), clear)).buffer;
    controller.enqueue(frame);
    count(isVideo, 'encrypted');
  }

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

  async function decryptFrame(
    frame: EncodedFrame,
    controller: TransformStreamDefaultController<EncodedFrame>,
    port: Port,
  ): Promise<void> {
    const isVideo = typeof frame.type === 'string';
    const senderId = port.senderId;
    const keys = receiveKeys.get(senderId);
    let key: SFrameKey | undefined;
    const opened = await codec.unprotectFrame((kid) => (key = keys?.get(kid)), new Uint8Array(frame.data));
    if (!opened.ok) {
      if (opened.error === 'no-key') port.starved = true;
      return count(isVideo, opened.error === 'no-key' ? 'noKey' : opened.error === 'auth' ? 'authFailed' : 'malformed', senderId);
    }
    // Checked once authentic, so forged frames cannot fill the window.
    let window = port.windows.get(key!);
    if (!window) port.windows.set(key!, (window = { max: -1, bits: new Uint8Array(REPLAY_WINDOW / 8) }));
    if (!fresh(window, Number(opened.ctr))) return count(isVideo, 'replayed', senderId);
    port.starved = false;
    frame.data = opened.plaintext.buffer;
    controller.enqueue(frame);
    count(isVideo, 'decrypted', senderId);
  }

  function attach(
    readable: ReadableStream<EncodedFrame>,
    writable: WritableStream<EncodedFrame>,
    options: FrameTransformOptions,
    transformer: Transformer | null,
  ): void {
    let port: Port | null = null;
    if (options.role === 'receive') {
      // A 'bind' may have come first (messages and rtctransform events are separate task sources).
      port = ports.get(options.port) ?? { senderId: options.senderId, starved: false, transformer: null, windows: new WeakMap() };
      port.transformer = transformer;
      ports.set(options.port, port);
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

  function requestKeyFrames(senderId: string): void {
    for (const port of ports.values()) {
      if (port.senderId !== senderId || !port.starved) continue;
      port.starved = false;
      // A receiver that starts with a new key needs a key frame; not every browser implements this.
      if (typeof port.transformer?.sendKeyFrameRequest === 'function') port.transformer.sendKeyFrameRequest().catch(() => {});
    }
  }

  function snapshot(): FrameCryptoStats {
    return {
      ...totals,
      audio: { ...audio },
      video: { ...video },
      senders: Object.fromEntries([...senders].map(([id, counters]) => [id, { ...counters }])),
      sendKid: sendKey ? Number(sendKey.kid) : null,
      lastError,
    };
  }

  scope.onrtctransform = (event) => {
    const transformer = event.transformer;
    attach(transformer.readable, transformer.writable, transformer.options, transformer);
  };

  scope.onmessage = (event) => {
    const message = event.data;
    switch (message.type) {
      case 'send-key':
        later(async () => {
          sendKey = await codec.importKey(suiteId, BigInt(message.kid), message.baseKey);
        });
        break;
      case 'receive-key':
        later(async () => {
          const key = await codec.importKey(suiteId, BigInt(message.kid), message.baseKey);
          let keys = receiveKeys.get(message.senderId);
          if (!keys) receiveKeys.set(message.senderId, (keys = new Map()));
          // A Map keeps insertion order: a KID set again becomes the newest.
          keys.delete(key.kid);
          keys.set(key.kid, key);
          for (const kid of keys.keys()) if (keys.size > MAX_RECEIVE_KEYS) keys.delete(kid);
          requestKeyFrames(message.senderId);
        });
        break;
      case 'remove-receive-keys':
        later(() => {
          const keys = receiveKeys.get(message.senderId);
          if (!keys) return;
          for (const kid of [...keys.keys()]) {
            if (message.keepKid === undefined || kid !== BigInt(message.keepKid)) keys.delete(kid);
          }
          if (keys.size === 0) receiveKeys.delete(message.senderId);
        });
        break;
      case 'bind': {
        const port = ports.get(message.port);
        if (port) {
          port.senderId = message.senderId;
          port.windows = new WeakMap();
        } else ports.set(message.port, { senderId: message.senderId, starved: false, transformer: null, windows: new WeakMap() });
        break;
      }
      case 'streams':
        attach(message.readable, message.writable, message.options, null);
        break;
      case 'stats':
        later(() => scope.postMessage({ type: 'stats', id: message.id, stats: snapshot() }));
        break;
    }
  };
}
