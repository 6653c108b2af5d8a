/**
 * One participant-to-participant link: the PeerJS DataConnection that made the first handshake
 * through the broker, and its RTCPeerConnection, which from then on renegotiates over the data
 * channel with the perfect-negotiation pattern
 * (https://www.w3.org/TR/webrtc/#perfect-negotiation-example).
 */
import type { DataConnection } from 'peerjs';
import { TypedEventTarget } from '../util/typed-event-target.js';
import { encodeMessage, parseMessage, type PeerMessage } from '../signalling/protocol.js';
import { MessageBudget } from './message-budget.js';
import { cameraMids } from './sdp.js';
import type { SenderCaps, UpstreamCaps } from './bandwidth.js';
import { LinkVerifier, isVerificationMessage, type VerificationFailure } from '../e2ee/link-verifier.js';
import type { ShortCode } from '../e2ee/verification.js';
import { LinkGuard } from '../e2ee/link-guard.js';
import { parseFingerprint } from '../e2ee/fingerprint.js';
import type { RelayPayload } from '../signalling/relay-auth.js';
import type { Sealer } from '../e2ee/sealed.js';
import { QualityTracker, readSample, type ConnectionQuality, type QualityFigures } from './link-quality.js';

/** Frame encryption as a link needs it: every sender and receiver goes through it. */
export interface FrameProtector {
  /** Encrypts what `sender` sends. */
  protectSender(sender: RTCRtpSender): void;
  /** Decrypts what `receiver` receives with the keys of `senderId`. */
  protectReceiver(receiver: RTCRtpReceiver, senderId: string): void;
  /** Keeps the codecs whose clear bytes the encryption knows (VP8, Opus). */
  pinCodecs(transceiver: RTCRtpTransceiver): void;
}

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

/** How often a link tells its peer it is alive. */
export const HEARTBEAT_MS = 1_000;
/**
 * Silence for this long means the peer is gone (a crash, a killed process, a lost network):
 * nothing else says so in time. ICE takes 15-30 s to call a connection failed, and a data
 * channel whose far end vanished never closes by itself.
 */
export const HEARTBEAT_TIMEOUT_MS = 6_000;
/** Silence for this long is worth a look (is the peer still on the broker?), not yet a verdict. */
export const SILENT_MS = 2_500;
/**
 * A link that lost its path (ICE disconnected or failed) and whose peer has answered through the
 * broker since, so is alive, may look for a new path this long before it is given up.
 */
export const RECONNECT_TIMEOUT_MS = 20_000;
/** While reconnecting, the ICE restart is tried again this often (a TURN server may be back). */
export const RESTART_RETRY_MS = 3_000;
/** Connection quality is judged every this many heartbeats. */
const QUALITY_EVERY_BEATS = 2;

/** Most messages held while a link is being verified; a peer sending more is dropped. */
const MAX_HELD_MESSAGES = 64;

/** Events of a PeerLink. */
export interface PeerLinkEvents {
  /** The data channel is open (with a room secret: and the peer proved it knows it). */
  open: undefined;
  /** A valid, non-signalling message arrived (with a room secret: only once verified). */
  message: PeerMessage;
  /** Without a room secret: the short code of this connection. */
  code: { code: ShortCode };
  /** The far end could not be verified; the link closes. */
  'verification-failed': { reason: VerificationFailure; detail?: string };
  /** A remote media track arrived: camera or microphone, or (`screen`) a shared screen. */
  track: { track: MediaStreamTrack; screen: boolean };
  /** A message failed validation. */
  invalid: { count: number };
  /** Nothing has come from the peer for SILENT_MS (once per silence): it may be gone. */
  silent: undefined;
  /** The connection lost its path and an ICE restart is under way (true), or it has a path again (false). */
  reconnecting: { reconnecting: boolean };
  /** The connection quality changed. */
  quality: { quality: ConnectionQuality } & QualityFigures;
  /**
   * The link is gone. `bye`: the peer said goodbye first; `closedByPeer`: the peer closed the
   * channel; `failed`: the connection failed.
   */
  close: { bye: boolean; failed: boolean; closedByPeer: boolean };
}

const CAMERA_KINDS = ['audio', 'video'] as const;

/** Wraps one DataConnection and drives its RTCPeerConnection. */
export class PeerLink extends TypedEventTarget<PeerLinkEvents> {
  /** The remote participant id, once its hello has arrived. */
  remoteId: string | null = null;
  /** Without a room secret: the short code of this connection, once both nonces are known. */
  code: ShortCode | null = null;
  /** Whether the remote said goodbye. */
  private bye = false;
  /** Whether the remote closed the channel (see onConnClose). */
  private closedByPeer = false;
  private closed = false;
  private failed = false;
  /** Whether the link was refused as a suspected man in the middle (reported once). */
  private refused = false;
  /** Whether the channel opened (the handshake is being checked, or the link started). */
  private opening = false;
  /** Messages that came before the link started (its handshake being checked); null once started. */
  private early: unknown[] | null = [];
  private closing: ReturnType<typeof setTimeout> | undefined;
  private makingOffer = false;
  private localStream: MediaStream | null = null;
  /** The screen we share on this link, if any. */
  private screenTrack: MediaStreamTrack | null = null;
  /** Our screen transceiver, kept (inactive) after a share so the next one reuses its m-line. */
  private screenTransceiver: RTCRtpTransceiver | null = null;
  private caps: UpstreamCaps | null = null;
  /** setParameters calls on one sender must not overlap; they queue here. */
  private capsQueue: Promise<void> = Promise.resolve();
  private invalidCount = 0;
  /** Messages received, valid or not, and the highest progress seen (see progress). */
  private received = 0;
  private progressMark = 0;
  private readonly budget = new MessageBudget();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** When anything last came from the peer. */
  private lastHeard = 0;
  /** When a data-channel message last came from the peer. */
  private lastMessage = 0;
  /** When our heartbeat last ran. */
  private lastBeat = 0;
  /** The newest RTP arrival at the last late beat; null while messages come on time. */
  private lastRtp: number | null = null;
  /** Whether the current silence was reported. */
  private silenceReported = false;
  private beats = 0;
  /**
   * Sends a signalling message to the peer through the broker (set by the room): the way when
   * the data channel, which shares the lost path, cannot carry the ICE restart. Returns false
   * when we are off the broker ourselves.
   */
  relay: ((payload: RelayPayload) => boolean) | null = null;
  /** When the path was lost (0: it was not). */
  private reconnectingSince = 0;
  /** Whether the peer has answered through the broker since the path was lost. */
  private peerAlive = false;
  /** Whether ICE ever connected: only a path once found can be lost. */
  private wasConnected = false;
  private restartTimer: ReturnType<typeof setInterval> | undefined;
  private readonly qualityTracker = new QualityTracker();
  /** A random id for this link, under which the peer's frame keys are kept. */
  readonly keyId = crypto.randomUUID();
  private readonly verifier: LinkVerifier;
  /** Binds the link to the verified certificate; relay MACs; sealing (see link-guard.ts). */
  private readonly guard: LinkGuard;
  /** The camera mids of the last description read (see cameraTransceivers). */
  private midsOf: { sdp: string | undefined; mids: ReturnType<typeof cameraMids> } = { sdp: undefined, mids: {} };
  /** With a room secret, whether the peer proved it knows it (without one, always true). */
  private verified: boolean;
  /** Messages that arrived before the peer was verified. */
  private held: PeerMessage[] = [];
  /** Remote tracks that arrived before the peer was verified. */
  private heldTracks: { track: MediaStreamTrack; screen: boolean }[] = [];
  private readonly onConnOpen = () => this.handleOpen();
  private readonly onConnData = (data: unknown) => this.handleData(data);
  /**
   * The far end closed the channel: its page went away on purpose (a closed tab, a navigation),
   * even if its goodbye was lost on the way. A crash or a lost network closes nothing; the
   * heartbeat notices those.
   */
  private readonly onConnClose = () => {
    if (!this.closed) this.closedByPeer = true;
    this.close();
  };
  private readonly onConnError = () => this.close();

  constructor(
    /** The PeerJS data connection. */
    readonly conn: DataConnection,
    /** Whether this side dialed. The dialer offers media; the answerer is the polite peer. */
    readonly outgoing: boolean,
    /** The local camera and microphone, once capture has settled (null: receive only). */
    localMedia: Promise<MediaStream | null>,
    /** How the far end is verified and media protected. */
    private readonly security: LinkSecurity,
  ) {
    super();
    this.verified = !security.authKey;
    this.verifier = new LinkVerifier(security.authKey, (message) => this.send(message));
    this.guard = new LinkGuard(
      {
        pc: () => this.pc,
        remoteId: () => this.remoteId,
        sendNow: (message) => this.sendNow(message),
        refuse: (reason, detail) => this.refuse(reason, detail),
      },
      security.localId,
      security.seal,
    );
    this.verifier.on('verified', () => this.onVerified());
    this.verifier.on('code', (detail) => {
      this.code = detail.code;
      this.emit('code', detail);
    });
    this.verifier.on('failed', ({ reason, detail }) => this.refuse(reason, detail));
    this.guardBroker(conn);
    // Whatever remote description gets applied is checked again as soon as it is there.
    this.pc?.addEventListener('signalingstatechange', this.onRemoteDescription);
    // The first handshake negotiates the media too: remote tracks can come with its answer (or
    // offer), before the channel opens. They are held like any before verification.
    this.pc?.addEventListener('track', this.onTrack);
    // A connection we dialed has its camera transceivers already (PeerLink.prepareOffer): their
    // receivers decrypt from before the answer is applied (Chromium starts them without a
    // transform otherwise). A microtask, so a failure closes a link the room listens to.
    if (outgoing) queueMicrotask(() => this.pc && !this.closed && this.protect(this.pc));
    queueMicrotask(this.onRemoteDescription);
    void localMedia.then((stream) => {
      if (!this.localStream) void this.setLocalStream(stream);
    });
    conn.on('open', this.onConnOpen);
    conn.on('data', this.onConnData);
    conn.on('close', this.onConnClose);
    conn.on('error', this.onConnError);
    if (conn.open) queueMicrotask(this.onConnOpen);
  }

  /**
   * The first handshake's descriptions are read as the broker delivered them, before PeerJS
   * applies them: Chromium shows script only the fingerprint line it uses, so the applied
   * description cannot tell that the broker listed two. The offer of an incoming connection is
   * already in hand; a dialer's answer comes through PeerJS's handleMessage, wrapped here. Once
   * the channel is open, nothing the broker sends with this connection's id reaches it: PeerJS
   * would apply an ANSWER or CANDIDATE unchecked (relayed signalling goes through receiveRelayed).
   */
  private guardBroker(conn: DataConnection): void {
    type BrokerMessage = { type?: unknown; payload?: { sdp?: { sdp?: unknown } } };
    const peerjs = conn as unknown as { handleMessage(message: BrokerMessage): unknown; options?: { _payload?: BrokerMessage['payload'] } };
    const offer = peerjs.options?._payload?.sdp?.sdp;
    if (offer !== undefined) {
      const parsed = parseFingerprint(typeof offer === 'string' ? offer : null);
      if (parsed.ok) this.guard.checkRemote(offer as string);
      // Refused (and closed) as soon as the room listens: in this same task, before PeerJS can
      // have applied the offer, let alone answered it.
      else queueMicrotask(() => this.refuse(parsed.problem, parsed.detail));
    }
    const handle = peerjs.handleMessage.bind(conn);
    peerjs.handleMessage = (message) => {
      if (this.opening || this.closed) return undefined;
      if (message.type === 'ANSWER') {
        const sdp = message.payload?.sdp?.sdp;
        if (!this.guard.checkRemote(typeof sdp === 'string' ? sdp : null)) return undefined;
      }
      return handle(message);
    };
  }

  /** The underlying peer connection (PeerJS creates it; it is null once closed). */
  get pc(): RTCPeerConnection | null {
    return (this.conn.peerConnection as RTCPeerConnection | null) ?? null;
  }

  /** Whether the link has started: its channel open and its handshake's fingerprints trusted. */
  private get started(): boolean {
    return this.early === null;
  }

  /** Whether the far end is verified (always, without a room secret). */
  get isVerified(): boolean {
    return this.verified;
  }

  /**
   * How far the link has got: a step for each of its handshake's milestones once a path is being
   * tried (ICE checking, ICE connected, the channel open), plus every message received. It only
   * grows; the room reads it to tell a slow handshake from a dead one. A connection whose ICE has
   * not started (an offer nobody answers, a dialer that offers no path) makes none.
   */
  get progress(): number {
    const ice = this.pc?.iceConnectionState;
    const steps = [ice && ice !== 'new', ice === 'connected' || ice === 'completed', this.opening];
    this.progressMark = Math.max(this.progressMark, steps.filter(Boolean).length + this.received);
    return this.progressMark;
  }

  /** The connection quality: good, poor or reconnecting. */
  get quality(): ConnectionQuality {
    return this.qualityTracker.quality;
  }

  /** Whether the data channel is open. */
  get open(): boolean {
    return this.conn.open && !this.closed;
  }

  /**
   * Sends one protocol message if the channel is open. Before the peer has proved it knows the
   * room secret, only signalling, verification and goodbyes go out: nothing about us.
   */
  send(message: PeerMessage): void {
    if (!this.open) return;
    if (!this.verified && !PRE_VERIFICATION.has(message.t)) return;
    // With a room secret, frame keys and chat go sealed under it, never as they are.
    if ((message.t === 'key' || message.t === 'chat') && this.guard.sealing) this.guard.sendSealed(message);
    else if (message.t !== 'sealed') this.sendNow(message);
  }

  /** Relayed messages that did not check (forged, altered or replayed by the broker), dropped. */
  get rejectedRelays(): number {
    return this.guard.rejectedRelays;
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
    if (this.closed) return;
    this.send(message);
    this.closing = setTimeout(() => this.close(), graceMs);
  }

  /** The far end cannot be trusted: says why, once, and closes the link. */
  private refuse(reason: VerificationFailure, detail?: string): void {
    // Reported even once closed: a man in the middle may close one leg as soon as the other
    // fails, and a check that was under way must still be reported as what it found.
    if (this.refused) return;
    this.refused = true;
    this.verifier.stop();
    this.emit('verification-failed', { reason, detail });
    this.close();
  }

  /** Closes the link (idempotent) and reports it once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.closing);
    clearInterval(this.heartbeat);
    clearInterval(this.restartTimer);
    this.verifier.closed();
    this.held = [];
    this.heldTracks = [];
    const pc = this.pc;
    pc?.removeEventListener('negotiationneeded', this.onNegotiationNeeded);
    pc?.removeEventListener('icecandidate', this.onIceCandidate);
    pc?.removeEventListener('track', this.onTrack);
    pc?.removeEventListener('connectionstatechange', this.onConnectionState);
    pc?.removeEventListener('iceconnectionstatechange', this.onIceState);
    pc?.removeEventListener('signalingstatechange', this.onSignalingState);
    pc?.removeEventListener('signalingstatechange', this.onRemoteDescription);
    this.conn.off('open', this.onConnOpen);
    this.conn.off('data', this.onConnData);
    this.conn.off('close', this.onConnClose);
    this.conn.off('error', this.onConnError);
    this.conn.close();
    this.emit('close', { bye: this.bye, failed: this.failed, closedByPeer: this.closedByPeer });
  }

  /**
   * Puts the local camera and microphone tracks on this link. The camera transceivers are
   * negotiated sendrecv from the start, so this is a replaceTrack: no renegotiation. A device
   * switch calls it again with the same stream holding the new track.
   */
  async setLocalStream(stream: MediaStream | null): Promise<void> {
    this.localStream = stream;
    const pc = this.pc;
    // No track goes out before the link has started (its handshake checked), nor to a peer that
    // has not proved it knows the room secret, nor on a sender that does not encrypt.
    if (!pc || this.closed || !this.started || !this.verified || !this.protect(pc)) return;
    await Promise.all(
      this.cameraTransceivers(pc).map(({ kind, transceiver }) => {
        const track = this.localTrack(kind);
        return transceiver.sender.track === track ? undefined : transceiver.sender.replaceTrack(track);
      }),
    ).catch(() => undefined);
  }

  /**
   * Shares a screen on this link (null stops sharing). The screen goes on a transceiver of its
   * own, sendonly, so the camera keeps going; the change is negotiated over the data channel.
   */
  setScreenTrack(track: MediaStreamTrack | null): void {
    this.screenTrack = track;
    this.applyScreen();
  }

  /** Sets the bitrate and resolution caps of the camera and screen senders. */
  setSendCaps(caps: UpstreamCaps): void {
    this.caps = caps;
    this.applyCaps();
  }

  /** The current level (0..1) of the remote microphone, from the RTP audio level header. */
  get audioLevel(): number {
    const pc = this.pc;
    const receiver = pc && this.cameraTransceivers(pc).find((c) => c.kind === 'audio')?.transceiver.receiver;
    const sources = receiver?.getSynchronizationSources?.() ?? [];
    return sources.reduce((max, s) => Math.max(max, s.audioLevel ?? 0), 0);
  }

  private localTrack(kind: 'audio' | 'video'): MediaStreamTrack | null {
    return this.localStream?.getTracks().find((t) => t.kind === kind) ?? null;
  }

  /**
   * The camera and microphone transceivers: the first audio and video m-lines once negotiated
   * (a screen transceiver we added before the first offer arrived comes first in
   * getTransceivers(), but not in the SDP); before that, the dialer's first of each kind.
   */
  private cameraTransceivers(pc: RTCPeerConnection) {
    const sdp = pc.remoteDescription?.sdp ?? pc.localDescription?.sdp;
    // Read many times a second (the speaker level): the SDP is parsed once per description.
    if (sdp !== this.midsOf.sdp) this.midsOf = { sdp, mids: cameraMids(sdp) };
    const mids = this.midsOf.mids;
    const live = pc.getTransceivers().filter((t) => t.direction !== 'stopped');
    const result: { kind: 'audio' | 'video'; transceiver: RTCRtpTransceiver }[] = [];
    for (const kind of CAMERA_KINDS) {
      const mid = mids[kind];
      const transceiver =
        mid !== undefined
          ? live.find((t) => t.mid === mid)
          : live.find((t) => t.receiver.track.kind === kind && t !== this.screenTransceiver);
      if (transceiver) result.push({ kind, transceiver });
    }
    return result;
  }

  /** Whether the camera m-lines are settled, so a screen transceiver cannot be mistaken for one. */
  private cameraReady(pc: RTCPeerConnection): boolean {
    return this.outgoing || pc.remoteDescription !== null;
  }

  private applyScreen(): void {
    const pc = this.pc;
    if (!pc || this.closed || !this.conn.open || !this.verified || !this.cameraReady(pc)) return;
    const track = this.screenTrack;
    const transceiver = this.screenTransceiver;
    if (track) {
      if (!transceiver) {
        const encodings = this.caps?.screen ? [{ ...this.caps.screen }] : undefined;
        // Protected before the track goes on, so no frame leaves in clear.
        this.screenTransceiver = pc.addTransceiver(track.kind, { direction: 'sendonly', ...(encodings ? { sendEncodings: encodings } : {}) });
        if (this.protect(pc)) void this.screenTransceiver.sender.replaceTrack(track).catch(() => undefined);
        return;
      }
      if (transceiver.direction !== 'sendonly') transceiver.direction = 'sendonly';
      if (transceiver.sender.track !== track) void transceiver.sender.replaceTrack(track).catch(() => undefined);
      this.applyCaps();
    } else if (transceiver && transceiver.direction !== 'inactive') {
      void transceiver.sender.replaceTrack(null).catch(() => undefined);
      transceiver.direction = 'inactive';
    }
  }

  private applyCaps(): void {
    const pc = this.pc;
    const caps = this.caps;
    if (!pc || !caps || this.closed) return;
    const camera = this.cameraTransceivers(pc).find((c) => c.kind === 'video')?.transceiver.sender;
    const screen = this.screenTrack ? this.screenTransceiver?.sender : undefined;
    this.capsQueue = this.capsQueue.then(async () => {
      if (camera) await setCaps(camera, caps.camera);
      if (screen && caps.screen) await setCaps(screen, caps.screen);
    });
  }

  private handleOpen(): void {
    const pc = this.pc;
    if (!pc || this.closed || this.opening) return;
    this.opening = true;
    // Nothing goes out, not even a hello or a track, before the fingerprints are known to be
    // one and the same as the browser's (the channel can open before script sees the answer).
    void this.guard.checkHandshake(pc).then((trusted) => trusted && !this.closed && this.start(pc));
  }

  /** The channel is open and the handshake's fingerprints are trusted: the link starts its work. */
  private start(pc: RTCPeerConnection): void {
    const early = this.early ?? [];
    this.early = null;
    // Once the link is set up below; a microtask, so before any later message (a task) arrives.
    queueMicrotask(() => early.forEach((data) => this.handleData(data)));
    // From here on, signalling is ours and goes over the data channel. PeerJS's own handler
    // would send candidates through the broker.
    pc.onicecandidate = null;
    // And a lost path is ours to mend: PeerJS closes the connection when ICE fails.
    pc.oniceconnectionstatechange = null;
    pc.addEventListener('iceconnectionstatechange', this.onIceState);
    if (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') this.wasConnected = true;
    pc.addEventListener('icecandidate', this.onIceCandidate);
    pc.addEventListener('negotiationneeded', this.onNegotiationNeeded);
    pc.addEventListener('connectionstatechange', this.onConnectionState);
    pc.addEventListener('signalingstatechange', this.onSignalingState);
    this.verifier.start(pc);
    this.lastHeard = this.lastBeat = Date.now();
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    if (this.verified) this.becameUsable();
    // The camera and microphone were negotiated with the channel, in the first handshake (see
    // PeerLink.prepareOffer): our tracks go on with replaceTrack, and the first frames wait for
    // no signalling.
    if (!this.protect(pc)) return;
    if (this.verified) void this.setLocalStream(this.localStream);
    this.applyScreen();
  }

  /**
   * Readies a connection we dial, before PeerJS makes its first offer: the camera and microphone
   * transceivers (sendrecv, no track yet), with their codecs pinned and their senders encrypting,
   * so that the one handshake through the broker negotiates the media with the channel. Nothing
   * is sent on them before the link has started (and, with a room secret, the peer is verified).
   */
  static prepareOffer(pc: RTCPeerConnection, frames: FrameProtector | null): void {
    for (const kind of CAMERA_KINDS) {
      const transceiver = pc.addTransceiver(kind, { direction: 'sendrecv' });
      try {
        frames?.pinCodecs(transceiver);
        frames?.protectSender(transceiver.sender);
      } catch {
        // The link's own check (protect) fails closed on the same transceiver.
      }
    }
  }

  /**
   * Says we are alive, and gives up on a peer that has been silent too long: no message and no
   * media packet (gone without a goodbye: the room reports it lost).
   */
  private beat(): void {
    // Closed underneath us (PeerJS can close it without telling its DataConnection's listeners,
    // and a local close() fires no state change): the link is gone.
    if (this.pc?.signalingState === 'closed') {
      this.close();
      return;
    }
    const now = Date.now();
    // Media packets are counted off the main thread, so they show a peer alive even while our
    // own page is too busy to read its messages in time. Reading them blocks this thread on the
    // browser's media thread (1.1 s of every 15 s of main thread in a 6-person join), so they
    // are read only once a message is late: that beat takes a baseline, later ones count the
    // packets since it.
    if (now - this.lastHeard > HEARTBEAT_MS) {
      const rtp = this.lastRtpTimestamp();
      if (this.lastRtp !== null && rtp !== this.lastRtp) this.lastHeard = now;
      this.lastRtp = rtp;
    } else this.lastRtp = null;
    // After a stall of our own (a busy main thread), the peer's messages may still wait in the
    // event queue: judge on the next beat, once they are read.
    const stalled = now - this.lastBeat > 2 * HEARTBEAT_MS;
    this.lastBeat = now;
    const silence = now - this.lastHeard;
    this.checkReconnected();
    // Silence is a verdict only for a peer that has not shown itself alive through the broker
    // while we look for a new path together.
    const limit = this.reconnectingSince && this.peerAlive ? RECONNECT_TIMEOUT_MS : HEARTBEAT_TIMEOUT_MS;
    if (!stalled && silence > limit) {
      this.close();
      return;
    }
    if (silence <= SILENT_MS) this.silenceReported = false;
    else if (!stalled && !this.silenceReported) {
      this.silenceReported = true;
      this.emit('silent', undefined);
      // ICE takes about 5 s to call a path disconnected, and the peer must show itself alive
      // through the broker before HEARTBEAT_TIMEOUT_MS: start looking now.
      if (this.wasConnected) this.startReconnecting();
    }
    this.send({ t: 'hb' });
    if (++this.beats % QUALITY_EVERY_BEATS === 0) void this.measureQuality();
  }

  private async measureQuality(): Promise<void> {
    const pc = this.pc;
    // Firefox's getStats() never settles on a closed connection.
    if (!pc || this.closed || this.reconnectingSince || !this.wasConnected || pc.signalingState === 'closed') return;
    const report = await pc.getStats().catch(() => null);
    if (!report || this.closed) return;
    this.emitQuality(this.qualityTracker.update(readSample(report)));
  }

  /**
   * The path is lost: look for a new one with an ICE restart, negotiated through the broker
   * while the data channel is down with the path. The dialer offers; both sides relay.
   */
  private startReconnecting(): void {
    if (this.closed || this.reconnectingSince) return;
    this.reconnectingSince = Date.now();
    this.peerAlive = false;
    this.emit('reconnecting', { reconnecting: true });
    this.emitQuality(this.qualityTracker.reconnecting(true));
    void this.restartIce();
    this.restartTimer = setInterval(() => void this.restartIce(), RESTART_RETRY_MS);
  }

  private stopReconnecting(): void {
    if (!this.reconnectingSince) return;
    this.reconnectingSince = 0;
    clearInterval(this.restartTimer);
    // The data channel is back with the path: its queued messages arrive now.
    this.lastHeard = Date.now();
    this.emit('reconnecting', { reconnecting: false });
    this.emitQuality(this.qualityTracker.reconnecting(false));
  }

  private emitQuality(quality: ConnectionQuality | null): void {
    if (quality) this.emit('quality', { quality, ...this.qualityTracker.last });
  }

  private async restartIce(): Promise<void> {
    const pc = this.pc;
    if (!pc || this.closed || !this.outgoing) return;
    // An offer still unanswered after a retry interval was lost (the peer was off the broker):
    // take it back and offer afresh.
    if (pc.signalingState === 'have-local-offer' && !this.makingOffer) await pc.setLocalDescription({ type: 'rollback' }).catch(() => undefined);
    if (!this.closed) pc.restartIce();
  }

  /** Sends signalling: over the data channel, or through the broker (MAC'd) while the path is lost. */
  private signal(message: PeerMessage): void {
    const relay = this.relay;
    if (this.reconnectingSince && relay) this.guard.relay(message, relay);
    else this.send(message);
  }

  /**
   * A payload the broker relayed as from the peer. Only one whose MAC checks under the key the
   * peer gave us over the channel is taken: the peer is alive and looking for us. Any other is
   * counted and dropped, and changes nothing (the broker cannot start a reconnection by itself).
   */
  receiveRelayed(payload: unknown): void {
    if (this.closed) return;
    this.guard.receiveRelayed(payload, (message) => {
      if (this.closed || (message.t !== 'sdp' && message.t !== 'ice')) return;
      // The peer lost the path too (perhaps before we noticed): answer it the same way.
      this.startReconnecting();
      this.peerAlive = true;
      if (message.t === 'sdp') void this.onDescription(message.description);
      else void this.onCandidate(message.candidate);
    });
  }

  /**
   * The path is back once ICE is connected and the data channel has carried a message since it
   * was lost. ICE alone is not enough: it may report the old path `connected` until it notices,
   * and may stay `connected` through a restart.
   */
  private checkReconnected(): void {
    const ice = this.pc?.iceConnectionState;
    if (this.reconnectingSince && this.lastMessage > this.reconnectingSince && (ice === 'connected' || ice === 'completed')) this.stopReconnecting();
  }

  private readonly onIceState = () => {
    const state = this.pc?.iceConnectionState;
    if (state === 'connected' || state === 'completed') {
      this.wasConnected = true;
      this.checkReconnected();
    } else if ((state === 'disconnected' || state === 'failed') && this.wasConnected) this.startReconnecting();
  };

  /** When the newest RTP packet from the peer arrived (in the browser's own time base), or 0. */
  private lastRtpTimestamp(): number {
    let latest = 0;
    for (const receiver of this.pc?.getReceivers() ?? [])
      for (const source of receiver.getSynchronizationSources?.() ?? []) latest = Math.max(latest, source.timestamp);
    return latest;
  }

  /** The link may now carry the call: the peer gets our relay key, and the room hears of it. */
  private becameUsable(): void {
    this.sendNow(this.guard.relayKeyMessage());
    this.emit('open', undefined);
  }

  /** The peer proved it knows the room secret: now it gets our media, and we show its. */
  private onVerified(): void {
    if (this.closed || this.verified) return;
    this.verified = true;
    this.becameUsable();
    for (const message of this.held.splice(0)) if (!this.closed) this.deliver(message);
    for (const track of this.heldTracks.splice(0)) if (!this.closed) this.emit('track', track);
    void this.setLocalStream(this.localStream);
    this.applyScreen();
  }

  /**
   * Puts every sender and receiver of `pc` through frame encryption, before media flows (each
   * is done once). Fails closed: if a transform cannot be attached, the link closes rather than
   * send or show anything unencrypted. Returns whether the link is still usable.
   */
  private protect(pc: RTCPeerConnection): boolean {
    const frames = this.security.frames;
    if (!frames) return true;
    try {
      for (const transceiver of pc.getTransceivers()) {
        if (transceiver.direction === 'stopped') continue;
        frames.pinCodecs(transceiver);
        frames.protectSender(transceiver.sender);
        frames.protectReceiver(transceiver.receiver, this.keyId);
      }
      return true;
    } catch {
      this.close();
      return false;
    }
  }

  /** Once a negotiation completes, senders have encodings to cap, and an answerer may share. */
  private readonly onSignalingState = () => {
    if (this.pc?.signalingState !== 'stable') return;
    this.guard.checkCertificates();
    this.applyScreen();
    this.applyCaps();
  };

  /** Any remote description, however it was applied, must name the one certificate of this link. */
  private readonly onRemoteDescription = () => {
    const pc = this.pc;
    if (this.closed || !pc || pc.signalingState === 'closed' || !pc.remoteDescription) return;
    if (!this.guard.checkRemote(pc.remoteDescription.sdp)) return;
    // The broker's offer, applied by PeerJS, which answers it as soon as it is: this event comes
    // first, so the offered camera transceivers are accepted sendrecv (protected, no track yet)
    // in that one answer.
    if (!this.outgoing && !this.started && pc.signalingState === 'have-remote-offer') {
      this.acceptOfferedTransceivers(pc);
      this.protect(pc);
    }
  };

  private readonly onConnectionState = () => {
    if (this.pc?.connectionState !== 'failed') return;
    // A connection that had a path looks for a new one; one that never had one has failed.
    if (this.wasConnected) {
      this.startReconnecting();
      return;
    }
    this.failed = true;
    this.close();
  };

  private readonly onTrack = (event: RTCTrackEvent) => {
    const pc = this.pc;
    if (pc && !this.protect(pc)) return;
    const camera = pc ? this.cameraTransceivers(pc).some((c) => c.transceiver === event.transceiver) : true;
    const track = { track: event.track, screen: !camera && event.track.kind === 'video' };
    if (this.verified) this.emit('track', track);
    else this.heldTracks.push(track);
  };

  private readonly onIceCandidate = (event: RTCPeerConnectionIceEvent) => {
    if (event.candidate) this.signal({ t: 'ice', candidate: event.candidate.toJSON() });
  };

  private readonly onNegotiationNeeded = async () => {
    const pc = this.pc;
    if (!pc) return;
    try {
      this.makingOffer = true;
      this.protect(pc);
      await pc.setLocalDescription();
      const description = pc.localDescription;
      if (description && (description.type === 'offer' || description.type === 'answer'))
        this.signal({ t: 'sdp', description: { type: description.type, sdp: description.sdp } });
    } catch {
      // A failed offer leaves the state stable; the next negotiationneeded retries.
    } finally {
      this.makingOffer = false;
    }
  };

  private async onDescription(description: { type: 'offer' | 'answer'; sdp: string }): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    const polite = !this.outgoing;
    // An answer to an offer we took back, or one that came both ways, answers nothing now.
    if (description.type === 'answer' && pc.signalingState !== 'have-local-offer') return;
    const offerCollision = description.type === 'offer' && (this.makingOffer || pc.signalingState !== 'stable');
    // The impolite side ignores a colliding offer; the polite side rolls back and answers it.
    if (!polite && offerCollision) return;
    // Checked before it is applied: a description naming another certificate closes the link.
    if (!this.guard.checkRemote(description.sdp)) return;
    try {
      await pc.setRemoteDescription(description);
      if (description.type === 'offer') {
        this.acceptOfferedTransceivers(pc);
        this.protect(pc);
        await pc.setLocalDescription();
        const answer = pc.localDescription;
        if (answer) this.signal({ t: 'sdp', description: { type: 'answer', sdp: answer.sdp } });
      }
    } catch {
      this.close();
    }
  }

  /** Accepts offered camera transceivers as sendrecv, with our tracks if capture has settled. */
  private acceptOfferedTransceivers(pc: RTCPeerConnection): void {
    for (const { kind, transceiver } of this.cameraTransceivers(pc)) {
      transceiver.direction = 'sendrecv';
      const track = this.verified && this.started ? this.localTrack(kind) : null;
      if (track && !transceiver.sender.track) void transceiver.sender.replaceTrack(track);
    }
  }

  private async onCandidate(candidate: RTCIceCandidateInit | null): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    try {
      await pc.addIceCandidate(candidate ?? undefined);
    } catch {
      // Candidates for an offer we ignored are expected to fail.
    }
  }

  private handleData(data: unknown): void {
    if (this.closed) return;
    this.received++;
    // What comes while the handshake is still being checked waits for it, in order: the peer's
    // first messages (its short-code commitment) must not be lost to a link not started yet.
    if (this.early) {
      if (this.early.push(data) > MAX_HELD_MESSAGES) this.close();
      return;
    }
    this.lastHeard = this.lastMessage = Date.now();
    this.checkReconnected();
    const message = parseMessage(data);
    // Over its budget of rate or size: the peer is dropped, counted as an invalid message.
    if (!this.budget.admit(message?.t, typeof data === 'string' ? data.length : 0)) {
      this.emit('invalid', { count: ++this.invalidCount });
      this.close();
      return;
    }
    if (!message) {
      this.invalidCount++;
      this.emit('invalid', { count: this.invalidCount });
      return;
    }
    switch (message.t) {
      case 'sdp':
        void this.onDescription(message.description);
        return;
      case 'ice':
        void this.onCandidate(message.candidate);
        return;
      case 'bye':
        this.bye = true;
        this.close();
        return;
      case 'hb':
        return;
      default:
        if (isVerificationMessage(message)) this.verifier.handle(message);
        else if (this.verified) this.deliver(message);
        else if (this.held.push(message) > MAX_HELD_MESSAGES) this.close();
    }
  }

  /** A message of the call from a verified peer: the link's own are taken here, the rest go to the room. */
  private deliver(message: PeerMessage): void {
    const invalid = () => this.emit('invalid', { count: ++this.invalidCount });
    if (message.t === 'relay-key') this.guard.takeRelayKey(message);
    else if (message.t === 'sealed') {
      if (!this.guard.sealing) invalid();
      else this.guard.openSealed(message, (inner) => !this.closed && this.emit('message', inner), invalid);
    }
    // With a room secret, a key or chat message that is not sealed is refused.
    else if ((message.t === 'key' || message.t === 'chat') && this.guard.sealing) invalid();
    else this.emit('message', message);
  }
}

/** Applies caps to a sender's single encoding; a sender not yet negotiated is skipped (retried when stable). */
async function setCaps(sender: RTCRtpSender, caps: SenderCaps): Promise<void> {
  const params = sender.getParameters();
  const encoding = params.encodings?.[0];
  if (!encoding) return;
  if (
    encoding.maxBitrate === caps.maxBitrate &&
    encoding.scaleResolutionDownBy === caps.scaleResolutionDownBy &&
    encoding.maxFramerate === caps.maxFramerate
  )
    return;
  encoding.maxBitrate = caps.maxBitrate;
  encoding.scaleResolutionDownBy = caps.scaleResolutionDownBy;
  encoding.maxFramerate = caps.maxFramerate;
  try {
    await sender.setParameters(params);
  } catch {
    // A sender that closed or renegotiated meanwhile: the next stable state applies the caps again.
  }
}
