/**
 * End-to-end frame encryption for RTCPeerConnections: SFrame (RFC 9605, suite 0x0004 by default)
 * applied to every encoded frame in a worker, through RTCRtpScriptTransform or, in older Chromium,
 * createEncodedStreams(). Key distribution is the caller's job; this class only holds keys.
 */
import { createSFrameCodec, functionsSource, sframeCodecSource } from './sframe.js';
import {
  FRAME_WORKER_PARTS,
  frameCryptoWorker,
  type FrameCryptoReply,
  type FrameCryptoRequest,
  type FrameCryptoStats,
  type FrameTransformOptions,
} from './frame-crypto-worker.js';

export type { FrameCryptoStats, FrameCryptoCounters } from './frame-crypto-worker.js';

/** How frames reach the worker: the standard RTCRtpScriptTransform, or Chromium's createEncodedStreams(). */
export type FrameCryptoMode = 'script-transform' | 'encoded-streams';

/** Options of the FrameCrypto constructor. */
export interface FrameCryptoOptions {
  /** Defaults to FrameCrypto.availableMode(). */
  mode?: FrameCryptoMode;
  /** SFrame cipher suite: 0x0004 AES_128_GCM_SHA256_128 (default) or 0x0005 AES_256_GCM_SHA512_128. */
  suite?: 0x0004 | 0x0005;
}

/** Chromium's pre-standard encoded transform API (https://chromestatus.com/feature/6321945865879552). */
interface EncodedStreamsEndpoint {
  createEncodedStreams(): { readable: ReadableStream; writable: WritableStream };
}

/** The largest key id the API accepts (32 bits keeps the SFrame header short). */
const MAX_KID = 0xffffffff;

/**
 * The worker's source: the worker main applied to its parts, the SFrame codec's factory and
 * `suite`, all as their source text (every function in it is self-contained).
 */
export function frameCryptoWorkerSource(suite: number = 0x0004): string {
  if (!Number.isInteger(suite)) throw new RangeError('suite must be an integer');
  return `(${frameCryptoWorker.toString()})(${functionsSource(FRAME_WORKER_PARTS)}, ${sframeCodecSource()}, ${suite});`;
}

/**
 * Restricts a transceiver to VP8 (with RTX) or Opus: the codecs whose clear-prefix rules
 * sframe.ts knows, and no RED, which would wrap several encrypted frames in one. Returns false
 * where setCodecPreferences is missing or refuses; call before creating the offer or answer.
 */
export function pinCodecsForE2EE(transceiver: RTCRtpTransceiver): boolean {
  try {
    const kind = transceiver.receiver.track.kind;
    const wanted = kind === 'video' ? ['video/vp8', 'video/rtx'] : ['audio/opus'];
    const codecs = (RTCRtpReceiver.getCapabilities(kind)?.codecs ?? []).filter((codec) =>
      wanted.includes(codec.mimeType.toLowerCase()),
    );
    if (!codecs.some((codec) => codec.mimeType.toLowerCase() === wanted[0])) return false;
    transceiver.setCodecPreferences(codecs);
    return true;
  } catch {
    return false;
  }
}

/**
 * Encrypts what our RTCRtpSenders send and decrypts what our RTCRtpReceivers receive, with SFrame
 * in one worker. Fails closed: without a send key nothing is sent, and a frame that does not
 * decrypt with a key of its sender is dropped and counted, never passed to the decoder.
 */
export class FrameCrypto {
  /** The best mode this browser has (RTCRtpScriptTransform first, then Chromium's createEncodedStreams), or null. */
  static availableMode(): FrameCryptoMode | null {
    if (typeof RTCRtpScriptTransform === 'function') return 'script-transform';
    if (typeof RTCRtpSender !== 'undefined' && 'createEncodedStreams' in RTCRtpSender.prototype) return 'encoded-streams';
    return null;
  }

  /** What must go into the RTCConfiguration of every peer connection created for this mode (encodedInsertableStreams for the fallback). */
  static rtcConfig(mode: FrameCryptoMode): Partial<RTCConfiguration> & Record<string, unknown> {
    return mode === 'encoded-streams' ? { encodedInsertableStreams: true } : {};
  }

  /** How frames reach the worker. */
  readonly mode: FrameCryptoMode;

  /** The SFrame cipher suite; both ends must use the same. */
  readonly suite: 0x0004 | 0x0005;

  readonly #worker: Worker;
  readonly #workerUrl: string;
  /** Nk of the suite: a base key shorter than the AEAD key would weaken it. */
  readonly #minKeyLength: number;
  readonly #senders = new WeakSet<RTCRtpSender>();
  readonly #receivers = new WeakMap<RTCRtpReceiver, { port: number; senderId: string }>();
  readonly #pending = new Map<number, { resolve: (stats: FrameCryptoStats) => void; reject: (error: Error) => void }>();
  #nextPort = 1;
  #nextRequest = 1;
  #closed = false;
  #failure: Error | null = null;

  /** Starts one worker. Throws when the browser cannot transform encoded frames in `mode`. */
  constructor(options: FrameCryptoOptions = {}) {
    const mode = options.mode ?? FrameCrypto.availableMode();
    if (mode === 'script-transform' && typeof RTCRtpScriptTransform !== 'function') {
      throw new Error('RTCRtpScriptTransform is not available in this browser');
    }
    if (mode === 'encoded-streams' && !(typeof RTCRtpSender !== 'undefined' && 'createEncodedStreams' in RTCRtpSender.prototype)) {
      throw new Error('createEncodedStreams is not available in this browser');
    }
    if (!mode) throw new Error('This browser cannot encrypt media frames (no RTCRtpScriptTransform, no createEncodedStreams)');
    this.mode = mode;
    this.suite = options.suite ?? 0x0004;
    this.#minKeyLength = createSFrameCodec().suite(this.suite).nk;
    // A blob: URL, because a module loaded from another origin (the CDN build) cannot start a
    // Worker from its own URL. Pages whose CSP lacks `worker-src blob:` cannot use E2EE.
    this.#workerUrl = URL.createObjectURL(new Blob([frameCryptoWorkerSource(this.suite)], { type: 'text/javascript' }));
    this.#worker = new Worker(this.#workerUrl, { name: 'video-room frame crypto' });
    this.#worker.onmessage = (event: MessageEvent<FrameCryptoReply>) => {
      const { id, stats } = event.data;
      this.#pending.get(id)?.resolve(stats);
      this.#pending.delete(id);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`frame crypto worker failed: ${event.message || 'could not start'}`));
    };
  }

  /** Our sending key from now on (16 random bytes for suite 0x0004) and its key id (an integer 0..2^32-1). */
  setSendKey(kid: number, baseKey: Uint8Array): void {
    this.#checkKey(kid, baseKey);
    this.#post({ type: 'send-key', kid, baseKey });
  }

  /** A key `senderId` sends with; frames from that sender with that kid decrypt from now on. */
  addReceiveKey(senderId: string, kid: number, baseKey: Uint8Array): void {
    this.#checkKey(kid, baseKey);
    this.#post({ type: 'receive-key', senderId: String(senderId), kid, baseKey });
  }

  /** Forgets keys of a sender: all of them, or all but `keepKid`. */
  removeReceiveKeys(senderId: string, keepKid?: number): void {
    this.#post({ type: 'remove-receive-keys', senderId: String(senderId), ...(keepKid === undefined ? {} : { keepKid }) });
  }

  /**
   * Encrypts everything this sender sends (idempotent; call before a track is attached).
   * Throws if the transform cannot be attached (e.g. encoded-streams without rtcConfig()): do not send then.
   */
  protectSender(sender: RTCRtpSender): void {
    if (this.#closed || this.#senders.has(sender)) return;
    this.#attach(sender, { role: 'send' });
    this.#senders.add(sender);
  }

  /** Decrypts what this receiver receives with `senderId`'s keys (idempotent; call in the track event, before frames arrive). */
  protectReceiver(receiver: RTCRtpReceiver, senderId: string): void {
    if (this.#closed) return;
    const bound = this.#receivers.get(receiver);
    if (bound) {
      // A reused transceiver now carries another participant: same transform, other keyring.
      if (bound.senderId !== senderId) {
        bound.senderId = senderId;
        this.#post({ type: 'bind', port: bound.port, senderId });
      }
      return;
    }
    const port = this.#nextPort++;
    this.#attach(receiver, { role: 'receive', port, senderId: String(senderId) });
    this.#receivers.set(receiver, { port, senderId });
  }

  /** Whether this sender or receiver has our transform. */
  isProtected(endpoint: RTCRtpSender | RTCRtpReceiver): boolean {
    return endpoint instanceof RTCRtpSender ? this.#senders.has(endpoint) : this.#receivers.has(endpoint);
  }

  /**
   * Counters since start: frames encrypted, decrypted, and dropped (no key / bad frame / failed tag / no send key), in total and per sender id.
   * Resolves after every key change made before the call has taken effect.
   */
  stats(): Promise<FrameCryptoStats> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new Error('FrameCrypto is closed'));
    const id = this.#nextRequest++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#post({ type: 'stats', id });
    });
  }

  /** Stops the worker. Protected senders and receivers then pass no frames at all. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.terminate();
    URL.revokeObjectURL(this.#workerUrl);
    for (const { reject } of this.#pending.values()) reject(new Error('FrameCrypto is closed'));
    this.#pending.clear();
  }

  #attach(endpoint: RTCRtpSender | RTCRtpReceiver, options: FrameTransformOptions): void {
    if (this.mode === 'script-transform') {
      endpoint.transform = new RTCRtpScriptTransform(this.#worker, options);
      return;
    }
    // Chromium allows createEncodedStreams() once per sender or receiver; both modes share the worker code.
    const { readable, writable } = (endpoint as unknown as EncodedStreamsEndpoint).createEncodedStreams();
    this.#post({ type: 'streams', options, readable, writable }, [readable, writable]);
  }

  #checkKey(kid: number, baseKey: Uint8Array): void {
    if (!Number.isInteger(kid) || kid < 0 || kid > MAX_KID) throw new RangeError(`key id must be an integer 0..${MAX_KID}`);
    if (!(baseKey instanceof Uint8Array) || baseKey.length < this.#minKeyLength) {
      throw new RangeError(`base key must be at least ${this.#minKeyLength} bytes`);
    }
  }

  #post(message: FrameCryptoRequest, transfer: Transferable[] = []): void {
    if (this.#closed) return;
    this.#worker.postMessage(message, transfer);
  }

  #fail(error: Error): void {
    this.#failure = error;
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}
