/**
 * What keeps one link bound to the peer it verified, whatever the broker does afterwards:
 * - the peer's DTLS fingerprint is fixed by the first remote description (read strictly, see
 *   fingerprint.ts); every later one, over the data channel or relayed, must name the same
 *   certificate, or the link closes as a suspected man in the middle. Closing, not verifying
 *   again: a new certificate means a new DTLS session, and nothing would vouch for it meanwhile;
 * - where the browser shows it, the certificate DTLS accepted must stay that one;
 * - signalling relayed through the broker carries a MAC under a key given over the channel
 *   (relay-auth.ts);
 * - in a room with a secret, frame keys and chat are sealed under it (sealed.ts).
 */
import { checkRemoteCertificates, fingerprintText, parseFingerprint, sameFingerprint, type DtlsFingerprint, type FingerprintProblem } from './fingerprint.js';
import { encodeMessage, parseMessage, type PeerMessage } from '../signalling/protocol.js';
import { RelayAuth, type RelayPayload } from '../signalling/relay-auth.js';
import type { SealContext, Sealer } from './sealed.js';
import { handshakeSettled } from './link-verifier.js';

/** What the guard needs of its link. */
export interface GuardedLink {
  /** The peer connection (null once closed). */
  pc(): RTCPeerConnection | null;
  /** The peer's participant id, once its hello came. */
  remoteId(): string | null;
  /** Sends a message over the data channel as it is. */
  sendNow(message: PeerMessage): void;
  /** Closes the link as a suspected man in the middle. */
  refuse(reason: FingerprintProblem, detail: string): void;
}

/** A message sealed under the room secret: a frame key or a chat message. */
export type SealedKind = Extract<PeerMessage, { t: 'key' | 'chat' }>;

export class LinkGuard {
  /** The peer's certificate, as the first remote description named it. */
  #remote: DtlsFingerprint | null = null;
  // TypeScript-private, not #: the relay-forgery test seals with it.
  private readonly relayAuth = new RelayAuth();
  /** Relayed messages that did not check (forged, altered, replayed, or before the key came). */
  rejectedRelays = 0;
  #sealSent = 0;
  #sealReceived = 0;
  /** Sealing, opening and relay checks are async; each runs in order. */
  #outQueue: Promise<unknown> = Promise.resolve();
  #inQueue: Promise<unknown> = Promise.resolve();

  readonly #link: GuardedLink;
  /** Our participant id. */
  readonly #localId: string;
  /** With a room secret: seals frame keys and chat under it. */
  readonly #sealer: Sealer | null;
  constructor(
    link: GuardedLink,
    localId: string,
    sealer: Sealer | null,
  ) {
    this.#link = link;
    this.#localId = localId;
    this.#sealer = sealer;
  }

  /** Whether key and chat messages must be sealed on this link. */
  get sealing(): boolean {
    return this.#sealer !== null;
  }

  /** The message that gives the peer our relay key (sent once the link is verified). */
  relayKeyMessage(): PeerMessage {
    return { t: 'relay-key', key: this.relayAuth.ownKey };
  }

  /** The peer's relay key arrived. */
  takeRelayKey(message: Extract<PeerMessage, { t: 'relay-key' }>): void {
    this.relayAuth.setPeerKey(message.key);
  }

  /**
   * Checks a remote description before it is used (or, for one PeerJS applied itself, as soon as
   * it is): exactly one fingerprint, and the same one for the life of the link. Refuses the link
   * and returns false otherwise.
   */
  checkRemote(sdp: string | null | undefined): boolean {
    const parsed = parseFingerprint(sdp);
    if (!parsed.ok) {
      this.#link.refuse(parsed.problem, parsed.detail);
      return false;
    }
    if (!this.#remote) this.#remote = parsed.fingerprint;
    else if (!sameFingerprint(this.#remote, parsed.fingerprint)) {
      this.#link.refuse('fingerprint-changed', `the peer's certificate changed from ${this.#remote.value.slice(0, 11)}… to ${parsed.fingerprint.value.slice(0, 11)}…`);
      return false;
    }
    return true;
  }

  /**
   * Once the channel is open: waits until script sees both descriptions of the first handshake,
   * then checks the remote one and the certificate DTLS accepted. Resolves whether the link may
   * be used (false: refused, or closed meanwhile).
   */
  async checkHandshake(pc: RTCPeerConnection): Promise<boolean> {
    await handshakeSettled(pc);
    if (pc.signalingState === 'closed' || !this.checkRemote(pc.remoteDescription?.sdp) || !this.#remote) return false;
    const problem = await checkRemoteCertificates(pc, this.#remote);
    if ((pc.signalingState as RTCSignalingState) === 'closed') return false;
    if (problem) this.#link.refuse('certificate-mismatch', problem);
    return !problem;
  }

  /** After a negotiation: the certificate DTLS accepted is still the one verified (where the browser shows it). */
  checkCertificates(): void {
    const pc = this.#link.pc();
    const remote = this.#remote;
    if (!pc || !remote || pc.signalingState === 'closed') return;
    void checkRemoteCertificates(pc, remote).then(
      (problem) => problem && pc.signalingState !== 'closed' && this.#link.refuse('certificate-mismatch', problem),
      () => undefined,
    );
  }

  /** Signs `message` for the broker and hands it to `relay`; falls back to the channel if `relay` cannot send. */
  relay(message: PeerMessage, relay: (payload: RelayPayload) => boolean): void {
    const to = this.#link.remoteId();
    if (!to) return;
    this.#outQueue = this.#outQueue
      .then(() => this.relayAuth.seal(this.#localId, to, message))
      .then((payload) => relay(payload) || this.#link.sendNow(message))
      .catch(() => undefined);
  }

  /**
   * A payload relayed by the broker as from the peer: `use` gets its message only if it checks.
   * One that does not is counted and dropped; it does not by itself change anything.
   */
  receiveRelayed(payload: unknown, use: (message: PeerMessage) => void): void {
    const from = this.#link.remoteId();
    this.#inQueue = this.#inQueue
      .then(async () => {
        const message = from ? await this.relayAuth.open(from, this.#localId, payload) : null;
        if (message) use(message);
        else this.rejectedRelays++;
      })
      .catch(() => undefined);
  }

  /** Seals a key or chat message and sends it (in order); dropped when the link's ids or fingerprints are not known yet. */
  sendSealed(message: SealedKind): void {
    const sealer = this.#sealer;
    this.#outQueue = this.#outQueue
      .then(async () => {
        const context = this.#context('out');
        if (!sealer || !context) return;
        this.#link.sendNow({ t: 'sealed', seq: context.seq, box: await sealer.seal(context, encodeMessage(message)) });
      })
      .catch(() => undefined);
  }

  /**
   * Opens a sealed message from the peer (in order); `use` gets the key or chat inside. Returns
   * through `invalid` one that does not open, is replayed, or holds anything else.
   */
  openSealed(message: Extract<PeerMessage, { t: 'sealed' }>, use: (inner: SealedKind) => void, invalid: () => void): void {
    const sealer = this.#sealer;
    this.#inQueue = this.#inQueue
      .then(async () => {
        const context = this.#context('in', message.seq);
        const text = sealer && context && message.seq > this.#sealReceived ? await sealer.unseal(context, message.box) : null;
        const inner = text !== null && message.seq > this.#sealReceived ? parseMessage(text) : null;
        if (!inner || (inner.t !== 'key' && inner.t !== 'chat')) return invalid();
        this.#sealReceived = message.seq;
        use(inner);
      })
      .catch(() => invalid());
  }

  /** The associated data of a sealed message: ids and fingerprints as the sender sees them. */
  #context(direction: 'in' | 'out', seq?: number): SealContext | null {
    const pc = this.#link.pc();
    const remoteId = this.#link.remoteId();
    if (!pc || pc.signalingState === 'closed' || !remoteId || !this.#remote) return null;
    const local = parseFingerprint((pc.currentLocalDescription ?? pc.localDescription)?.sdp);
    if (!local.ok) return null;
    const ours = { id: this.#localId, fingerprint: fingerprintText(local.fingerprint) };
    const theirs = { id: remoteId, fingerprint: fingerprintText(this.#remote) };
    const [from, to] = direction === 'out' ? [ours, theirs] : [theirs, ours];
    return { from: from.id, to: to.id, fromFingerprint: from.fingerprint, toFingerprint: to.fingerprint, seq: seq ?? ++this.#sealSent };
  }
}
