/**
 * One participant-to-participant link: the PeerJS DataConnection that made the first handshake
 * through the broker, and its RTCPeerConnection, which from then on renegotiates over the data
 * channel (perfect negotiation: https://www.w3.org/TR/webrtc/#perfect-negotiation-example).
 *
 * The link owns one unit per concern: negotiation (negotiation.ts); the heartbeat, the verdict
 * on a silent peer and the search for a new path (liveness.ts); the media on the link
 * (link-media.ts); what the broker may still say about the first handshake (broker-guard.ts).
 * Here they are wired to the connection, to the verification of the far end (LinkVerifier,
 * LinkGuard), to what the peer may send and receive, and to the room (link-events.ts).
 */
import type { DataConnection } from 'peerjs';
import { TypedEventTarget } from '../util/typed-event-target.js';
import { encodeMessage, parseMessage, type PeerMessage } from '../signalling/protocol.js';
import { MessageBudget } from './message-budget.js';
import type { UpstreamCaps } from './bandwidth.js';
import { LinkVerifier, isVerificationMessage, type VerificationFailure } from '../e2ee/link-verifier.js';
import { LinkGuard, type GuardedLink } from '../e2ee/link-guard.js';
import type { RelayPayload } from '../signalling/relay-auth.js';
import type { ShortCode } from '../e2ee/verification.js';
import type { Sealer } from '../e2ee/sealed.js';
import { QualityTracker, readSample, type ConnectionQuality } from './link-quality.js';
import type { PeerLinkEvents } from './link-events.js';
import { LinkMedia, type FrameProtector, type MediaLink } from './link-media.js';
import { Negotiation, type NegotiationLink, type Signal } from './negotiation.js';
import { Liveness, isConnected, type LivenessLink } from './liveness.js';
import { guardBroker, type BrokeredLink } from './broker-guard.js';
import { randomParticipantId } from '../room/room-id.js';

export { HEARTBEAT_MS, HEARTBEAT_TIMEOUT_MS, SILENT_MS, RECONNECT_TIMEOUT_MS, RESTART_RETRY_MS } from './liveness.js';
export type { FrameProtector, PeerLinkEvents };

/** How a link proves who is at the far end, and protects its media. */
export interface LinkSecurity {
  /** With a room secret: the key the peer must prove it has. Null: a short code to compare. */
  authKey: CryptoKey | null;
  /** Frame encryption (with a room secret), or null. */
  frames: FrameProtector | null;
  /** With a room secret: seals frame keys and chat under it (see sealed.ts). */
  seal: Sealer | null;
  /** Our own participant id (what relayed and sealed messages are bound to). */
  localId: string;
}

/** What may be sent to a peer that has not yet proved it knows the room secret. */
const PRE_VERIFICATION = new Set<PeerMessage['t']>(['sdp', 'ice', 'auth', 'sas-commit', 'sas-reveal', 'bye', 'full', 'hb']);

/** Connection quality is judged every this many heartbeats. */
const QUALITY_EVERY_BEATS = 2;

/** Most messages held while a link is being verified; a peer sending more is dropped. */
const MAX_HELD_MESSAGES = 64;

/** What the link gives its units and its guard. */
type LinkHooks = GuardedLink & MediaLink & NegotiationLink<RTCPeerConnection> & LivenessLink & BrokeredLink;

/** Wraps one DataConnection and drives its RTCPeerConnection. */
export class PeerLink extends TypedEventTarget<PeerLinkEvents> {
  /** The remote participant id, once its hello has arrived. */
  remoteId: string | null = null;
  /** Without a room secret: the short code of this connection, once both nonces are known. */
  code: ShortCode | null = null;
  /** Sends signalling through the broker (set by the room) while the channel's path is lost; false when we are off it. */
  relay: ((payload: RelayPayload) => boolean) | null = null;
  /** A random id for this link, under which the peer's frame keys are kept. */
  readonly keyId = randomParticipantId();
  /** Binds the link to the verified certificate; relay MACs; sealing (see link-guard.ts). TypeScript-private (not #) like invalidCount and sendNow: the relay-forgery test uses them. */
  private readonly guard: LinkGuard;
  /** Whether the remote said goodbye (#bye), or closed the channel (#closedByPeer: see the `close` listener in the constructor). */
  #bye = false;
  #closedByPeer = false;
  #closed = false;
  #failed = false;
  /** Whether the link was refused as a suspected man in the middle (reported once). */
  #refused = false;
  /** Whether the channel opened (the handshake is being checked, or the link started). */
  #opening = false;
  #closing: ReturnType<typeof setTimeout> | undefined;
  /** With a room secret, whether the peer proved it knows it (without one, always true). */
  #verified: boolean;
  /** What came before the link started (#early: its handshake being checked; null once started), and before the peer was verified (#held, #heldTracks). */
  #early: unknown[] | null = [];
  #held: PeerMessage[] = [];
  #heldTracks: { track: MediaStreamTrack; screen: boolean }[] = [];
  private invalidCount = 0;
  readonly #budget = new MessageBudget();
  /** Every listener the link put on its connection and channel, removed at once on close. */
  readonly #listening = new AbortController();
  readonly #quality = new QualityTracker();
  readonly #verifier: LinkVerifier;
  readonly #media: LinkMedia;
  readonly #negotiation: Negotiation<RTCPeerConnection>;
  readonly #liveness: Liveness;

  constructor(
    /** The PeerJS data connection. */
    readonly conn: DataConnection,
    /** Whether this side dialed. The dialer offers media; the answerer is the polite peer. */
    readonly outgoing: boolean,
    /** The local camera and microphone, once capture has settled (null: receive only). */
    localMedia: Promise<MediaStream | null>,
    /** How the far end is verified and media protected. */
    security: LinkSecurity,
  ) {
    super();
    this.#verified = !security.authKey;
    this.#verifier = new LinkVerifier(security.authKey, (message) => this.send(message));
    const hooks = this.#hooks();
    this.guard = new LinkGuard(hooks, security.localId, security.seal);
    this.#media = new LinkMedia(hooks, outgoing, security.frames, this.keyId);
    this.#negotiation = new Negotiation<RTCPeerConnection>(hooks, this.guard, this.#media, !outgoing);
    this.#liveness = new Liveness(hooks, this.#negotiation);
    this.#verifier.on('verified', () => this.#onVerified());
    this.#verifier.on('code', (detail) => {
      this.code = detail.code;
      this.emit('code', detail);
    });
    this.#verifier.on('failed', ({ reason, detail }) => this.#refuse(reason, detail));
    guardBroker(conn, this.guard, hooks);
    // Whatever remote description gets applied is checked again as soon as it is there.
    this.#listen('signalingstatechange', this.#onRemoteDescription);
    // The first handshake negotiates the media too: remote tracks can come with its answer (or
    // offer), before the channel opens. They are held like any before verification.
    this.#listen('track', (event) => this.#onTrack(event));
    // A connection we dialed has its camera transceivers already (PeerLink.prepareOffer): their
    // receivers decrypt from before the answer is applied (Chromium starts them without a
    // transform otherwise). A microtask, so a failure closes a link the room listens to.
    if (outgoing) queueMicrotask(() => this.pc && !this.#closed && this.#media.protect(this.pc));
    queueMicrotask(this.#onRemoteDescription);
    void localMedia.then((stream) => {
      if (!this.#media.localStream) void this.setLocalStream(stream);
    });
    const on = (event: 'open' | 'data' | 'close' | 'error', listener: (data?: unknown) => void) => {
      conn.on(event, listener);
      this.#listening.signal.addEventListener('abort', () => conn.off(event, listener));
    };
    const onConnOpen = () => this.#handleOpen();
    on('open', onConnOpen);
    on('data', (data) => this.#handleData(data));
    // The far end closed the channel: its page went away on purpose (a closed tab, a navigation),
    // even if its goodbye was lost on the way. A crash or a lost network closes nothing; the
    // heartbeat notices those.
    on('close', () => {
      if (!this.#closed) this.#closedByPeer = true;
      this.close();
    });
    on('error', () => this.close());
    if (conn.open) queueMicrotask(onConnOpen);
  }

  /** The link as its units see it (each through the narrow interface it declares). */
  #hooks(): LinkHooks {
    // The peer connection while the link is up; null once closed.
    const pc = () => (this.#closed ? null : this.pc);
    return {
      pc,
      remoteId: () => this.remoteId,
      close: () => this.close(),
      sendNow: (message) => this.sendNow(message),
      signal: (message) => this.#signal(message),
      refuse: (reason, detail) => this.#refuse(reason, detail),
      done: () => this.#opening || this.#closed,
      maySend: () => !this.#closed && this.#started && this.#verified,
      mayShare: () => !this.#closed && this.conn.open && this.#verified,
      silent: () => this.emit('silent', undefined),
      probe: () => this.relay && this.guard.relay({ t: 'hb' }, this.relay), // MAC'd, ignored by the peer: the broker's EXPIRE is the answer
      beat: (count) => {
        this.send({ t: 'hb' });
        if (count % QUALITY_EVERY_BEATS === 0) void this.#measureQuality();
      },
      reconnecting: (reconnecting) => {
        this.emit('reconnecting', { reconnecting });
        this.#emitQuality(this.#quality.reconnecting(reconnecting));
      },
    };
  }

  /** Readies a connection we dial before PeerJS's first offer: camera transceivers, protected (see LinkMedia.prepareOffer). */
  static readonly prepareOffer: (pc: RTCPeerConnection, frames: FrameProtector | null) => void = LinkMedia.prepareOffer;

  /** The underlying peer connection (PeerJS creates it; it is null once closed). */
  get pc(): RTCPeerConnection | null {
    return (this.conn.peerConnection as RTCPeerConnection | null) ?? null;
  }

  /** Whether the link has started: its channel open and its handshake's fingerprints trusted. */
  get #started(): boolean {
    return this.#early === null;
  }

  /** Whether the far end is verified (always, without a room secret). */
  get isVerified(): boolean {
    return this.#verified;
  }

  /**
   * How far the link has got: a step for each of its handshake's milestones once a path is being
   * tried (ICE checking, ICE connected, the channel open), plus every message received. It only
   * grows; the room reads it to tell a slow handshake from a dead one. A connection whose ICE has
   * not started (an offer nobody answers, a dialer that offers no path) makes none.
   */
  get progress(): number {
    const ice = this.pc?.iceConnectionState;
    return this.#liveness.progress([ice && ice !== 'new', isConnected(ice), this.#opening].filter(Boolean).length);
  }

  /**
   * Whether our own side is still making its part of the first handshake (our offer, or our answer, not applied
   * yet). On a saturated machine that takes seconds: a wait that is ours, not a sign that the peer is gone.
   */
  get settling(): boolean {
    const pc = this.pc;
    return !this.#closed && !!pc && pc.signalingState !== 'closed' && !pc.localDescription;
  }

  /** The connection quality: good, poor or reconnecting. */
  get quality(): ConnectionQuality {
    return this.#quality.quality;
  }

  /** Whether the data channel is open. */
  get open(): boolean {
    return this.conn.open && !this.#closed;
  }

  /** Relayed messages that did not check (forged, altered or replayed by the broker), dropped. */
  get rejectedRelays(): number {
    return this.guard.rejectedRelays;
  }

  /**
   * Sends one protocol message if the channel is open. Before the peer has proved it knows the
   * room secret, only signalling, verification and goodbyes go out: nothing about us.
   */
  send(message: PeerMessage): void {
    if (!this.open) return;
    if (!this.#verified && !PRE_VERIFICATION.has(message.t)) return;
    // With a room secret, frame keys and chat go sealed under it, never as they are.
    if ((message.t === 'key' || message.t === 'chat') && this.guard.sealing) this.guard.sendSealed(message);
    else if (message.t !== 'sealed') this.sendNow(message);
  }

  /** Sends a message over the channel as it is (sealing is done by the caller). */
  private sendNow(message: PeerMessage): void {
    if (!this.open) return;
    try {
      void this.conn.send(encodeMessage(message));
    } catch {
      // A channel that closes between the check and the send: the close event follows.
    }
  }

  /**
   * Sends a last message (`bye` or `full`) and closes once the peer has closed in answer, or
   * after `graceMs`. Closing at once would lose the message: PeerJS closes the whole
   * RTCPeerConnection, not just the channel.
   */
  leave(message: PeerMessage = { t: 'bye' }, graceMs = 1000): void {
    if (this.#closed) return;
    this.send(message);
    this.#closing = setTimeout(() => this.close(), graceMs);
  }

  /** Closes the link (idempotent) and reports it once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#closing);
    this.#liveness.stop();
    this.#verifier.closed();
    this.#held = [];
    this.#heldTracks = [];
    this.#listening.abort();
    this.conn.close();
    this.emit('close', { bye: this.#bye, failed: this.#failed, closedByPeer: this.#closedByPeer });
  }

  /** Puts the local camera and microphone on this link: a replaceTrack on the transceivers of the first handshake (see LinkMedia). */
  setLocalStream(stream: MediaStream | null): Promise<void> {
    return this.#media.setLocalStream(stream);
  }

  /** Shares a screen on this link (null stops): a sendonly transceiver of its own, negotiated over the data channel. */
  setScreenTrack(track: MediaStreamTrack | null): void {
    this.#media.setScreenTrack(track);
  }

  /** Sets the bitrate and resolution caps of the camera and screen senders. */
  setSendCaps(caps: UpstreamCaps): void {
    this.#media.setSendCaps(caps);
  }

  /** Holds our media back on this link, or lets it go again (see LinkMedia.pause). */
  pauseMedia(paused: boolean): void {
    this.#media.pause(paused);
  }

  /**
   * A payload the broker relayed as from the peer. Only one whose MAC checks under the key the
   * peer gave us over the channel is taken: the peer is alive and looking for us. Any other is
   * counted and dropped, and changes nothing (the broker cannot start a reconnection by itself).
   */
  receiveRelayed(payload: unknown): void {
    if (this.#closed) return;
    this.guard.receiveRelayed(payload, (message) => {
      if (this.#closed || (message.t !== 'sdp' && message.t !== 'ice')) return;
      // The peer lost the path too (perhaps before we noticed): answer it the same way.
      this.#liveness.peerAnswered();
      this.#signalled(message);
    });
  }

  /** The broker says the peer is not on it: a silent peer is gone (see Liveness.peerGone). */
  readonly peerGone = (): void => this.#liveness.peerGone();

  /** The far end cannot be trusted: says why, once, and closes the link. */
  #refuse(reason: VerificationFailure, detail?: string): void {
    // Reported even once closed: a man in the middle may close one leg as soon as the other
    // fails, and a check that was under way must still be reported as what it found.
    if (this.#refused) return;
    this.#refused = true;
    this.#verifier.stop();
    this.emit('verification-failed', { reason, detail });
    this.close();
  }

  /** Listens to the connection until the link closes. */
  #listen<K extends keyof RTCPeerConnectionEventMap>(type: K, listener: (event: RTCPeerConnectionEventMap[K]) => void, pc = this.pc): void {
    pc?.addEventListener(type, listener, { signal: this.#listening.signal });
  }

  #handleOpen(): void {
    const pc = this.pc;
    if (!pc || this.#closed || this.#opening) return;
    this.#opening = true;
    // Nothing goes out, not even a hello or a track, before the fingerprints are known to be
    // one and the same as the browser's (the channel can open before script sees the answer).
    void this.guard.checkHandshake(pc).then((trusted) => trusted && !this.#closed && this.#start(pc));
  }

  /** The channel is open and the handshake's fingerprints are trusted: the link starts its work. */
  #start(pc: RTCPeerConnection): void {
    const early = this.#early ?? [];
    this.#early = null;
    // Once the link is set up below; a microtask, so before any later message (a task) arrives.
    queueMicrotask(() => early.forEach((data) => this.#handleData(data)));
    // From here on, signalling is ours and goes over the data channel. PeerJS's own handler
    // would send candidates through the broker.
    pc.onicecandidate = null;
    // And a lost path is ours to mend: PeerJS closes the connection when ICE fails.
    pc.oniceconnectionstatechange = null;
    this.#listen('iceconnectionstatechange', () => this.#liveness.iceChanged(), pc);
    this.#listen('icecandidate', (event) => {
      if (event.candidate) this.#signal({ t: 'ice', candidate: event.candidate.toJSON() });
    }, pc);
    this.#listen('negotiationneeded', () => void this.#negotiation.negotiate(), pc);
    this.#listen('connectionstatechange', () => this.#onConnectionState(), pc);
    this.#listen('signalingstatechange', () => this.#onSignalingState(), pc);
    this.#verifier.start(pc);
    this.#liveness.start();
    if (this.#verified) this.#becameUsable();
    // The camera and microphone were negotiated with the channel, in the first handshake (see
    // PeerLink.prepareOffer): our tracks go on with replaceTrack, and the first frames wait for
    // no signalling.
    if (!this.#media.protect(pc)) return;
    if (this.#verified) void this.setLocalStream(this.#media.localStream);
    this.#media.applyScreen();
  }

  async #measureQuality(): Promise<void> {
    const pc = this.pc;
    // Firefox's getStats() never settles on a closed connection.
    if (!pc || this.#closed || this.#liveness.reconnecting || !this.#liveness.wasConnected || pc.signalingState === 'closed') return;
    const report = await this.#quality.read(pc);
    if (!report || this.#closed) return;
    this.#emitQuality(this.#quality.update(readSample(report)));
  }

  #emitQuality(quality: ConnectionQuality | null): void {
    if (quality) this.emit('quality', { quality, ...this.#quality.last });
  }

  /** Sends signalling: over the data channel, or through the broker (MAC'd) while the path is lost. */
  #signal(message: Signal): void {
    const relay = this.relay;
    if (this.#liveness.reconnecting && relay) this.guard.relay(message, relay);
    else this.send(message);
  }

  /** Signalling from the peer, over the channel or relayed. */
  #signalled(message: Signal): void {
    if (message.t === 'sdp') void this.#negotiation.receive(message.description);
    else void this.#negotiation.candidate(message.candidate);
  }

  /** The link may now carry the call: the peer gets our relay key, and the room hears of it. */
  #becameUsable(): void {
    this.sendNow(this.guard.relayKeyMessage());
    this.emit('open', undefined);
  }

  /** The peer proved it knows the room secret: now it gets our media, and we show its. */
  #onVerified(): void {
    if (this.#closed || this.#verified) return;
    this.#verified = true;
    this.#becameUsable();
    for (const message of this.#held.splice(0)) if (!this.#closed) this.#deliver(message);
    for (const track of this.#heldTracks.splice(0)) if (!this.#closed) this.emit('track', track);
    void this.setLocalStream(this.#media.localStream);
    this.#media.applyScreen();
  }

  /** Once a negotiation completes, senders have encodings to cap, and an answerer may share. */
  #onSignalingState(): void {
    if (this.pc?.signalingState !== 'stable') return;
    this.guard.checkCertificates();
    this.#media.applyScreen();
    this.#media.applyCaps();
  }

  /** Any remote description, however it was applied, must name the one certificate of this link. */
  readonly #onRemoteDescription = () => {
    const pc = this.pc;
    if (this.#closed || !pc || pc.signalingState === 'closed' || !pc.remoteDescription) return;
    if (!this.guard.checkRemote(pc.remoteDescription.sdp)) return;
    // The broker's offer, applied by PeerJS, which answers it as soon as it is: this event comes
    // first, so the offered camera transceivers are accepted sendrecv (protected, no track yet)
    // in that one answer.
    if (!this.outgoing && !this.#started && pc.signalingState === 'have-remote-offer') this.#media.acceptOffer(pc);
  };

  #onConnectionState(): void {
    if (this.pc?.connectionState !== 'failed') return;
    // A connection that had a path looks for a new one; one that never had one has failed.
    if (this.#liveness.pathLost()) return;
    this.#failed = true;
    this.close();
  }

  #onTrack(event: RTCTrackEvent): void {
    const pc = this.pc;
    if (pc && !this.#media.protect(pc)) return;
    const camera = pc ? this.#media.isCamera(pc, event.transceiver) : true;
    const track = { track: event.track, screen: !camera && event.track.kind === 'video' };
    if (this.#verified) this.emit('track', track);
    else this.#heldTracks.push(track);
  }

  #handleData(data: unknown): void {
    if (this.#closed) return;
    this.#liveness.received();
    // What comes while the handshake is still being checked waits for it, in order: the peer's
    // first messages (its short-code commitment) must not be lost to a link not started yet.
    if (this.#early) {
      if (this.#early.push(data) > MAX_HELD_MESSAGES) this.close();
      return;
    }
    this.#liveness.heard();
    const message = parseMessage(data);
    // Over its budget of rate or size: the peer is dropped, counted as an invalid message.
    if (!this.#budget.admit(message?.t, typeof data === 'string' ? data.length : 0)) {
      this.#invalid();
      this.close();
      return;
    }
    if (!message) return this.#invalid();
    switch (message.t) {
      case 'sdp':
      case 'ice':
        return this.#signalled(message);
      case 'bye':
        this.#bye = true;
        this.close();
        return;
      case 'hb':
        return;
      default:
        if (isVerificationMessage(message)) this.#verifier.handle(message);
        else if (this.#verified) this.#deliver(message);
        else if (this.#held.push(message) > MAX_HELD_MESSAGES) this.close();
    }
  }

  #invalid(): void {
    this.emit('invalid', { count: ++this.invalidCount });
  }

  /** A message of the call from a verified peer: the link's own are taken here, the rest go to the room. */
  #deliver(message: PeerMessage): void {
    const invalid = () => this.#invalid();
    if (message.t === 'relay-key') this.guard.takeRelayKey(message);
    else if (message.t === 'sealed') {
      if (!this.guard.sealing) invalid();
      else this.guard.openSealed(message, (inner) => !this.#closed && this.emit('message', inner), invalid);
    }
    // With a room secret, a key or chat message that is not sealed is refused.
    else if ((message.t === 'key' || message.t === 'chat') && this.guard.sealing) invalid();
    else this.emit('message', message);
  }
}
