/**
 * The verification exchange of one link, run over its data channel as soon as it opens.
 * - With a room secret, each side sends `auth`: an HMAC over both fingerprints as it sees them.
 *   The link is verified when the peer's proof checks; a wrong proof, or none in time, fails it.
 * - Without one, each side sends `sas-commit` (a hash of a random nonce), and `sas-reveal` (the
 *   nonce) only once it holds the peer's commitment; both then derive the same short code,
 *   which people compare. A reveal that does not match its commitment fails the link.
 */
import { TypedEventTarget } from '../util/typed-event-target.js';
import type { Bytes, PeerMessage } from '../signalling/protocol.js';
import {
  checkProof,
  connectionFingerprints,
  proveFingerprints,
  sasCode,
  sasCommit,
  sasCommitMatches,
  sasNonce,
  type Fingerprints,
  type ShortCode,
} from './verification.js';
import type { FingerprintProblem } from './fingerprint.js';

/**
 * How long the peer has to prove it knows the secret. Generous: a machine busy encoding for a
 * large room can take seconds to answer, and a slow answer must not look like a man in the
 * middle. Waiting costs nothing but time: until the proof, the link carries no media and no
 * message of the call.
 */
export const PROOF_TIMEOUT_MS = 15_000;

/**
 * Why a verification failed: a wrong proof (`mismatch`), none in time (`timeout`), a broken
 * exchange (`protocol`), or fingerprints that cannot be trusted (see fingerprint.ts).
 */
export type VerificationFailure = 'mismatch' | 'timeout' | 'protocol' | FingerprintProblem;

/** Events of a LinkVerifier. */
export interface LinkVerifierEvents {
  /** The peer proved it knows the room secret. */
  verified: undefined;
  /** Without a secret: the short code both people should see. */
  code: { code: ShortCode };
  failed: { reason: VerificationFailure; detail?: string };
}

type VerificationMessage = Extract<PeerMessage, { t: 'auth' | 'sas-commit' | 'sas-reveal' }>;

/** Whether `message` belongs to the verification exchange. */
export function isVerificationMessage(message: PeerMessage): message is VerificationMessage {
  return message.t === 'auth' || message.t === 'sas-commit' || message.t === 'sas-reveal';
}

/**
 * Resolves once script can see both descriptions of `pc`'s first handshake, or at once if `pc`
 * is closed (one that closes while waiting never resolves: its link is gone, nothing to report).
 * The data channel can open before that: on a fast path, Chromium connects as soon as the
 * answer is applied, and under load the channel's open event may run before the task that shows
 * script the answer. Reading the fingerprints then found none, and an honest peer failed.
 */
export function handshakeSettled(pc: RTCPeerConnection): Promise<void> {
  const settled = () => (pc.currentLocalDescription !== null && pc.currentRemoteDescription !== null) || pc.signalingState === 'closed';
  if (settled()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (!settled()) return;
      pc.removeEventListener('signalingstatechange', check);
      resolve();
    };
    pc.addEventListener('signalingstatechange', check);
  });
}

export class LinkVerifier extends TypedEventTarget<LinkVerifierEvents> {
  #fingerprints: Promise<Fingerprints | null> | null = null;
  #done = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #nonce: Bytes = sasNonce();
  #theirCommit: Bytes | null = null;
  #revealed = false;
  #pc: RTCPeerConnection | null = null;
  /** Work in order: a reveal must not overtake the commitment that came before it. */
  #queue: Promise<void> = Promise.resolve();

  readonly #authKey: CryptoKey | null;
  readonly #send: (message: PeerMessage) => void;
  readonly #timeoutMs: number;
  constructor(
    /** The HMAC key derived from the room secret, or null for the short code. */
    authKey: CryptoKey | null,
    send: (message: PeerMessage) => void,
    timeoutMs = PROOF_TIMEOUT_MS,
  ) {
    super();
    this.#authKey = authKey;
    this.#send = send;
    this.#timeoutMs = timeoutMs;
  }

  /** Starts the exchange once the data channel is open (DTLS is up, so both fingerprints are known). */
  start(pc: RTCPeerConnection): void {
    if (this.#fingerprints) return;
    this.#pc = pc;
    const read = handshakeSettled(pc).then(() => connectionFingerprints(pc));
    this.#fingerprints = read.then((result) => (result.ok ? result.fingerprints : null));
    if (this.#authKey) this.#timer = setTimeout(() => this.fail('timeout'), this.#timeoutMs);
    this.#run(async () => {
      const result = await read;
      // Nothing goes out (no proof, no commitment) over a connection whose fingerprints cannot be trusted.
      if (!result.ok) return this.#gone() ? this.stop() : this.fail(result.problem, result.detail);
      const fingerprints = result.fingerprints;
      if (this.#authKey) this.#send({ t: 'auth', proof: await proveFingerprints(this.#authKey, fingerprints) });
      else this.#send({ t: 'sas-commit', commit: await sasCommit(this.#nonce) });
    });
  }

  /** Handles a verification message from the peer. */
  handle(message: VerificationMessage): void {
    this.#run(async () => {
      const fingerprints = await this.#fingerprints;
      if (!fingerprints) return;
      if (message.t === 'auth') {
        if (!this.#authKey) return this.fail('protocol');
        if (await checkProof(this.#authKey, message.proof, fingerprints)) this.#succeed();
        else this.fail('mismatch');
        return;
      }
      if (this.#authKey) return this.fail('protocol');
      if (message.t === 'sas-commit') {
        if (this.#theirCommit) return this.fail('protocol');
        this.#theirCommit = message.commit;
        // Our nonce goes out only now that theirs is fixed.
        this.#revealed = true;
        this.#send({ t: 'sas-reveal', nonce: this.#nonce });
        return;
      }
      if (!this.#theirCommit || !this.#revealed || !(await sasCommitMatches(this.#theirCommit, message.nonce))) return this.fail('protocol');
      this.emit('code', { code: await sasCode(fingerprints, this.#nonce, message.nonce) });
      this.#done = true;
    });
  }

  /** Stops the timer; nothing more is reported. */
  stop(): void {
    this.#done = true;
    clearTimeout(this.#timer);
  }

  /**
   * The connection closed: no more waiting for a proof, but a check already under way still
   * reports. A man in the middle may close one leg as soon as the other fails, and a proof that
   * came just before that close must still be reported as the mismatch it is.
   */
  closed(): void {
    clearTimeout(this.#timer);
  }

  #run(step: () => Promise<void>): void {
    this.#queue = this.#queue.then(() => (this.#done ? undefined : step())).catch(() => (this.#gone() ? this.stop() : this.fail('protocol')));
  }

  /**
   * The connection closed under us (a full room turns a joiner away at once): what can no longer
   * be read from it is a goodbye, not a man in the middle. A proof that was checked still counts.
   */
  #gone(): boolean {
    return this.#pc?.signalingState === 'closed';
  }

  #succeed(): void {
    if (this.#done) return;
    this.stop();
    this.emit('verified', undefined);
  }

  /** Fails the verification (once): the link closes. */
  fail(reason: VerificationFailure, detail?: string): void {
    if (this.#done) return;
    this.stop();
    this.emit('failed', { reason, detail });
  }
}
