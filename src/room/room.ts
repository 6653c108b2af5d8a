/**
 * A room: the mesh of PeerLinks to every other participant, the rendezvous that lets
 * newcomers find it on a stock PeerServer, and the gossip that completes the mesh.
 *
 * Joining: open our own random id and, at the same time, try to take the room's rendezvous id.
 * Whoever holds the rendezvous id answers joiners with the roster; every member gossips its
 * roster to each new link, and of each pair the smaller id dials, so simultaneous joiners
 * converge to one full mesh. When the holder leaves, the members race to take the id again
 * (the broker's ID-TAKEN picks one); a member that loses and sees no holder among its links
 * dials the new holder, which merges any group that formed meanwhile.
 */
import type { DataConnection, Peer } from 'peerjs';
import { TypedEventTarget } from '../util/typed-event-target.js';
import { PeerLink, type FrameProtector } from '../link/peer-link.js';
import type { VerificationFailure } from '../e2ee/link-verifier.js';
import type { ShortCode } from '../e2ee/verification.js';
import { deriveAuthKey } from '../e2ee/keys.js';
import type { Sealer } from '../e2ee/sealed.js';
import type { RelayPayload } from '../signalling/relay-auth.js';
import type { FrameKeys } from '../e2ee/frame-keys.js';
import { Timers } from '../util/timers.js';
import type { FrameCrypto, FrameCryptoStats } from '../e2ee/frame-crypto.js';
import type { PeerMessage, PeerState, RosterEntry } from '../signalling/protocol.js';
import type { ConnectionQuality, QualityFigures } from '../link/link-quality.js';
import { dialAllowance, newcomers, preferNewConnection, shouldDial } from './roster.js';
import { randomParticipantId, rendezvousIds } from './room-id.js';
import { backoffDelay, brokerUrl, openPeer, type BrokerConfig } from '../signalling/broker.js';
import { allocateUpstream, DEFAULT_MAX_UPSTREAM_KBPS, type UpstreamCaps } from '../link/bandwidth.js';
import { DEFAULT_VIDEO_QUALITY, type VideoQuality } from '../media/quality.js';
import { ERROR_CODES, type ErrorCode, type RoomState } from '../constants.js';
import { RoomError } from './room-error.js';

export { RoomError };

/** A remote participant as the room sees it. */
export interface Participant {
  /** Random per-join participant id. */
  readonly id: string;
  /** Display name, as text. */
  name: string;
  /** Whether their microphone is muted. */
  audioMuted: boolean;
  /** Whether their camera is off. */
  videoMuted: boolean;
  /** Whether they are sharing a screen. */
  screenSharing: boolean;
  /** Their camera and microphone tracks as they arrive. */
  readonly stream: MediaStream;
  /** Their shared screen's track, once one arrived (kept, muted, between shares). */
  readonly screenStream: MediaStream;
  /** Whether their connection is verified: by the room secret, or by a person comparing the short code. */
  verified: boolean;
  /** Without a room secret: the short code of our connection to them, once known. */
  code: ShortCode | null;
  /** The quality of our connection to them. */
  quality: ConnectionQuality;
}

/** How the participants of a room are verified. */
export type VerificationMethod = 'secret' | 'sas';

/** What a room needs to join. */
export interface RoomConfig {
  room: string;
  /** The PeerServers to use, in order of preference: the room lives on the first that answers. */
  brokers: BrokerConfig[];
  iceServers: RTCIceServer[];
  /** `relay`: connect through TURN only. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  maxParticipants: number;
  name: string;
  audioMuted: boolean;
  videoMuted: boolean;
  /** The local camera and microphone; links offer media once it settles (null: receive only). */
  localMedia: Promise<MediaStream | null>;
  /** How long joining may take before `join-timeout`. */
  joinTimeoutMs?: number;
  /** The most this participant may send, in kbit/s, over all copies (default 2500). */
  maxUpstreamKbps?: number;
  /** The camera quality, which sets the bitrate one copy may use at most. */
  videoQuality?: VideoQuality;
  /**
   * The room secret. With one, broker-visible ids are derived from it, every peer must prove it
   * knows it, and media frames are encrypted end to end. Never sent anywhere.
   */
  secret?: string | null;
  /** Test-only: the rendezvous ids to use instead of derived ones. */
  rendezvousIdsOverride?: string[];
}

/** Events of a Room. */
export interface RoomEvents {
  state: { state: RoomState };
  'peer-joined': { participant: Participant };
  'peer-left': { participant: Participant; reason: 'left' | 'lost' };
  'peer-updated': { participant: Participant };
  'peer-track': { participant: Participant; track: MediaStreamTrack; screen: boolean };
  /** A participant started or stopped sharing a screen. */
  'peer-screen': { participant: Participant; sharing: boolean };
  /** A participant is verified: by the room secret at once, or by a person confirming the code. */
  'peer-verified': { participant: Participant; method: VerificationMethod };
  /** Without a secret: the short code of a participant's connection is known (or changed). */
  'peer-code': { participant: Participant };
  /** The connection to a participant lost its path and is looking for a new one, or found it. */
  'peer-reconnecting': { participant: Participant; reconnecting: boolean };
  /** The quality of the connection to a participant changed. */
  'peer-quality': { participant: Participant; quality: ConnectionQuality } & QualityFigures;
  /**
   * A chat message from a participant, with whether they were verified when it arrived (with short
   * codes, whether this person had confirmed their code by then).
   */
  chat: { participant: Participant; text: string; verified: boolean };
  /** A connection could not be verified (or its code was rejected) and was closed. */
  'verification-failed': { id: string; name: string; reason: VerificationFailure | 'rejected'; detail?: string };
  /** We now encrypt with a new frame key (a participant left). */
  'key-epoch': { epoch: number };
  /**
   * We lost the broker (the call goes on; newcomers cannot find us until it is back), or are on
   * one again. `server` is the broker's URL.
   */
  broker: { connected: boolean; server: string };
  error: { code: ErrorCode; message: string };
}

// Generous: a busy machine can take seconds over a handshake, and a peer that is gone is
// reported sooner by the broker's EXPIRE (PeerJS peer-unavailable, after 5 s).
const DIAL_TIMEOUT_MS = 15_000;
/** A link still getting somewhere after this many DIAL_TIMEOUT_MS periods without a hello is closed. */
const MAX_DIAL_PERIODS = 4;
const RENDEZVOUS_DIAL_TIMEOUT_MS = 15_000;
/** A rendezvous dial whose channel has not opened by then is doubled (see dialRendezvous). */
const RENDEZVOUS_REDIAL_MS = 4_000;
/** A participant gossiped to us that should have dialed us but has not, gets dialed after this. */
const DIAL_FALLBACK_MS = 4_000;
const RENDEZVOUS_CHECK_MS = 5_000;
const RENDEZVOUS_SETTLE_MS = 1_500;
/** A peer sending this many invalid messages is dropped. */
const MAX_INVALID_MESSAGES = 50;
/** After the rendezvous holder failed verification, wait this long before dialing it again. */
const VERIFY_RETRY_MS = 3_000;

/** The mesh for one room and one join. Create a new Room for each join. */
export class Room extends TypedEventTarget<RoomEvents> {
  /** Our participant id for this join. */
  readonly id = randomParticipantId();
  private stateValue: RoomState = 'idle';
  private peer: Peer | null = null;
  private rendezvousPeer: Peer | null = null;
  private rendezvousId = '';
  private readonly links = new Map<string, PeerLink>();
  private readonly pending = new Set<PeerLink>();
  private readonly dialing = new Set<string>();
  private readonly people = new Map<string, Participant>();
  private readonly departed = new Set<string>();
  /** Ids whose last dial failed, and when they may be dialed again (doubling each time). */
  private readonly dialBackoff = new Map<string, { failures: number; until: number }>();
  private readonly timers = new Timers();
  private rendezvousCheck: ReturnType<typeof setInterval> | null = null;
  /** The broker we are on: an index into `config.brokers`. */
  private brokerIndex = 0;
  /**
   * Per broker and id, the token that proves to that broker that a new Peer under the id is us
   * (it then replaces the old socket). Never sent to another broker or with another id: a
   * fallback broker that saw one could otherwise take over our ids on the first (issue 16).
   */
  private readonly brokerTokens = new Map<string, string>();
  /** While our own id is off the broker: trying again, with backoff. */
  private reconnecting = false;
  private brokerFailures = 0;
  /** On a fallback broker: when to look at the preferred ones again. */
  private probeAt = 0;
  private probeFailures = 0;
  private probing = false;
  private claiming = false;
  private tearingDown = false;
  /** Participants that say they hold the rendezvous id. */
  private readonly remoteRendezvous = new Set<string>();
  /** Links the far side refused because the room is full. */
  private readonly refused = new WeakSet<PeerLink>();
  /** Rendezvous peers that lost the broker but still carry links; destroyed on leave. */
  private readonly retiredPeers: Peer[] = [];
  private local: PeerState;
  /** Which local tracks exist; assumed until capture settles. */
  private captured = { audio: true, video: true };
  private readonly onPageHide = () => this.leave();
  private screenTrack: MediaStreamTrack | null = null;
  private upstream: { maxUpstreamKbps: number; quality: VideoQuality };
  private caps: UpstreamCaps;
  /** With a room secret: the HMAC key peers prove they have. */
  private authKey: CryptoKey | null = null;
  /** With a room secret: seals frame keys and chat under it. */
  private sealer: Sealer | null = null;
  private rejectedRelaysOfClosedLinks = 0;
  private frameCrypto: FrameCrypto | null = null;
  private frameKeys: FrameKeys | null = null;
  /** With a secret: what connections need for frame encryption (loaded with it). */
  private frameRtc: { config: RTCConfiguration; pinCodecs: (transceiver: RTCRtpTransceiver) => boolean } | null = null;
  /** Links whose far end failed verification. */
  private readonly unverified = new WeakSet<PeerLink>();
  /** Remote tracks of links whose hello has not come yet. */
  private readonly earlyTracks = new Map<PeerLink, { track: MediaStreamTrack; screen: boolean }[]>();

  constructor(private readonly config: RoomConfig) {
    super();
    this.local = {
      name: config.name,
      audioMuted: config.audioMuted,
      videoMuted: config.videoMuted,
      screenSharing: false,
      rendezvous: false,
    };
    this.upstream = {
      maxUpstreamKbps: config.maxUpstreamKbps ?? DEFAULT_MAX_UPSTREAM_KBPS,
      quality: config.videoQuality ?? DEFAULT_VIDEO_QUALITY,
    };
    this.caps = this.allocate();
    // Without a camera or microphone (refused, missing, busy) we join receive-only, and the
    // others are told that track is off so they show the name instead of a black tile.
    void config.localMedia.then((stream) => {
      this.captured = { audio: !!stream?.getAudioTracks().length, video: !!stream?.getVideoTracks().length };
      this.announce();
    });
  }

  /** Current state. */
  get state(): RoomState {
    return this.stateValue;
  }

  /** The remote participants, in join order. */
  get participants(): Participant[] {
    return [...this.people.values()];
  }

  /** Every RTCPeerConnection of the mesh, for statistics. */
  get peerConnections(): RTCPeerConnection[] {
    return [...this.links.values()].flatMap((link) => (link.pc && link.pc.signalingState !== 'closed' ? [link.pc] : []));
  }

  /** Whether this participant holds the room's rendezvous id. */
  get isRendezvous(): boolean {
    return this.rendezvousPeer !== null;
  }

  /** How participants are verified: by the room secret, or by comparing short codes. */
  get verification(): VerificationMethod {
    return this.config.secret ? 'secret' : 'sas';
  }

  /** With a room secret: how many times our frame key changed, and its current id. */
  get keyEpoch(): { epoch: number; kid: number } | null {
    return this.frameKeys ? { epoch: this.frameKeys.epoch, kid: this.frameKeys.kid } : null;
  }

  /** Frame-encryption counters (encrypted, decrypted, dropped), or null without a secret. */
  frameStats(): Promise<FrameCryptoStats> | null {
    return this.frameCrypto?.stats() ?? null;
  }

  /**
   * Records whether a person found the short code of `id`'s connection to match theirs. A match
   * marks them verified; a mismatch closes the connection. Returns false for an unknown id.
   */
  confirmCode(id: string, matches: boolean): boolean {
    const participant = this.people.get(id);
    const link = this.links.get(id);
    if (!participant || !link || this.verification !== 'sas' || !participant.code) return false;
    if (!matches) {
      this.emit('verification-failed', { id, name: participant.name, reason: 'rejected' });
      link.close();
      return true;
    }
    if (!participant.verified) {
      participant.verified = true;
      this.emit('peer-verified', { participant, method: 'sas' });
    }
    return true;
  }

  /**
   * Sends a chat message to every participant in the call, verified or not (with short codes, the
   * far end marks it as from an unverified sender until it confirms our code). Returns how many it
   * went to.
   */
  sendChat(text: string): number {
    let sent = 0;
    for (const [id, link] of this.links) {
      // With a secret, a link sends nothing before the peer proved it (PeerLink.send): not counted.
      if (!this.people.has(id) || !link.open || !link.isVerified) continue;
      link.send({ t: 'chat', text });
      sent++;
    }
    return sent;
  }

  /** Joins the room; resolves once in it, rejects with a RoomError. */
  async join(): Promise<void> {
    if (this.stateValue !== 'idle') throw new Error('a Room joins once; create a new one');
    if (this.config.brokers.length === 0) throw new RoomError(ERROR_CODES.invalidServer, 'no PeerServer given');
    this.setState('joining');
    try {
      const secret = this.config.secret ?? null;
      const encryption = secret ? this.startEncryption(secret) : null;
      [this.rendezvousId] = this.config.rendezvousIdsOverride ?? (await rendezvousIds(this.config.room, secret));
      if (secret) this.authKey = await deriveAuthKey(this.config.room, secret);
      await encryption;
      if (!this.isJoining()) return;
      const deadline = Date.now() + (this.config.joinTimeoutMs ?? 30_000);
      const first = await this.openFirstBroker();
      if (!first) return;
      let joined = first.claimed;
      while (!joined) {
        if (!this.isJoining()) return;
        if (Date.now() > deadline) throw new RoomError(ERROR_CODES.joinTimeout, 'the room did not answer in time');
        joined = (await this.dialRendezvous()) || (await this.tryClaim());
      }
      if (!this.isJoining()) return;
      this.rendezvousCheck = setInterval(() => this.tick(), RENDEZVOUS_CHECK_MS);
      globalThis.addEventListener?.('pagehide', this.onPageHide);
      this.setState('joined');
    } catch (error) {
      const roomError =
        error instanceof RoomError ? error : new RoomError(ERROR_CODES.brokerUnreachable, `the PeerServer could not be reached (${String(error)})`);
      if (this.isJoining()) {
        this.teardown();
        this.setState('error');
      }
      throw roomError;
    }
  }

  /** Leaves: says goodbye to every peer and releases every connection and timer. */
  leave(): void {
    if (this.stateValue === 'left' || this.stateValue === 'idle') return;
    this.teardown();
    this.setState('left');
  }

  /** Updates our name or mute state and tells every peer. */
  updateLocal(changes: Partial<Omit<PeerState, 'rendezvous' | 'screenSharing'>>): void {
    this.local = { ...this.local, ...changes };
    this.announce();
  }

  /**
   * The local camera and microphone changed (a device switch, or a track that was missing):
   * every link swaps its tracks with replaceTrack, and the peers learn which tracks exist.
   */
  updateLocalMedia(stream: MediaStream | null): void {
    this.captured = { audio: !!stream?.getAudioTracks().length, video: !!stream?.getVideoTracks().length };
    for (const link of [...this.links.values(), ...this.pending]) void link.setLocalStream(stream);
    this.announce();
  }

  /** Shares a screen with everyone (null stops); newcomers get it as they join. */
  setScreenTrack(track: MediaStreamTrack | null): void {
    if (track === this.screenTrack) return;
    this.screenTrack = track;
    this.local.screenSharing = track !== null;
    this.updateCaps();
    for (const link of [...this.links.values(), ...this.pending]) link.setScreenTrack(track);
    this.announce();
  }

  /** Changes the upstream budget or the camera quality; the caps follow at once. */
  setUpstream(changes: Partial<{ maxUpstreamKbps: number; quality: VideoQuality }>): void {
    this.upstream = { ...this.upstream, ...changes };
    this.updateCaps();
  }

  /** The current microphone level (0..1) of each remote participant. */
  audioLevels(): Map<string, number> {
    const levels = new Map<string, number>();
    for (const [id, link] of this.links) levels.set(id, this.people.get(id)?.audioMuted ? 0 : link.audioLevel);
    return levels;
  }

  private allocate(): UpstreamCaps {
    return allocateUpstream({ ...this.upstream, peers: this.links.size, sharingScreen: this.screenTrack !== null });
  }

  /** Splits the upstream budget over the current links; called whenever their number changes. */
  private updateCaps(): void {
    this.caps = this.allocate();
    for (const link of [...this.links.values(), ...this.pending]) link.setSendCaps(this.caps);
  }

  /** Whether a join is still under way (a leave during it ends it). */
  private isJoining(): boolean {
    return this.stateValue === 'joining';
  }

  private setState(state: RoomState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.emit('state', { state });
  }

  private get rtcConfig(): RTCConfiguration {
    return {
      iceServers: this.config.iceServers,
      iceTransportPolicy: this.config.iceTransportPolicy ?? 'all',
      ...this.frameRtc?.config,
    };
  }

  /** With a room secret, frames are encrypted; a browser that cannot do that cannot join. */
  private async startEncryption(secret: string): Promise<void> {
    let encryption: typeof import('../e2ee/encryption.js');
    try {
      encryption = await import('../e2ee/encryption.js');
    } catch (error) {
      throw new RoomError(ERROR_CODES.e2eeUnsupported, `The frame encryption module could not be loaded (${String(error)}).`);
    }
    const { FrameCrypto, FrameKeys, pinCodecsForE2EE, createSealer } = encryption;
    const mode = FrameCrypto.availableMode();
    if (!mode) throw new RoomError(ERROR_CODES.e2eeUnsupported, 'This browser cannot encrypt video frames, which a room with a secret needs.');
    const sealer = await createSealer(this.config.room, secret);
    if (!this.isJoining()) return;
    this.sealer = sealer;
    const frameCrypto = new FrameCrypto({ mode });
    this.frameCrypto = frameCrypto;
    this.frameRtc = { config: FrameCrypto.rtcConfig(mode), pinCodecs: pinCodecsForE2EE };
    this.frameKeys = new FrameKeys(frameCrypto);
    this.frameKeys.on('epoch', ({ epoch }) => this.emit('key-epoch', { epoch }));
  }

  private get frameProtector(): FrameProtector | null {
    const frameCrypto = this.frameCrypto;
    const frameRtc = this.frameRtc;
    if (!frameCrypto || !frameRtc) return null;
    return {
      protectSender: (sender) => frameCrypto.protectSender(sender),
      protectReceiver: (receiver, senderId) => frameCrypto.protectReceiver(receiver, senderId),
      pinCodecs: frameRtc.pinCodecs,
    };
  }

  private async openOwnPeer(broker: BrokerConfig): Promise<Peer> {
    // Every connection we dial negotiates the camera and microphone in its first offer.
    const prepare = (pc: RTCPeerConnection) => PeerLink.prepareOffer(pc, this.frameProtector);
    const result = await openPeer(this.id, broker, this.rtcConfig, this.brokerToken(broker, this.id), prepare);
    // A random 128-bit id cannot be taken unless the broker is hostile; treat it as unreachable.
    if (!('peer' in result)) throw new RoomError(ERROR_CODES.brokerUnreachable, 'the broker refused our id');
    const peer = result.peer;
    peer.on('connection', (conn) => this.accept(conn));
    peer.socket.on('message', (data: unknown) => this.onBrokerMessage(data));
    // Established calls are peer to peer and go on; the broker is only needed by newcomers.
    peer.on('disconnected', () => this.peer === peer && this.brokerLost());
    peer.on('error', (error) => {
      if (error.type === 'peer-unavailable') {
        const id = /(vr-[0-9a-f]{32})/.exec(error.message)?.[1];
        if (id) this.abandonDial(id);
      }
    });
    return peer;
  }

  /**
   * Opens our own id on the first broker that answers, in the order given, trying the
   * rendezvous id there at the same time. Resolves null if the join was abandoned meanwhile;
   * rejects when no broker answers.
   */
  private async openFirstBroker(): Promise<{ claimed: boolean } | null> {
    let lastError: unknown;
    for (const [index, broker] of this.config.brokers.entries()) {
      this.brokerIndex = index;
      const [own, claim] = await Promise.allSettled([this.openOwnPeer(broker), this.tryClaim()]);
      if (own.status === 'rejected') {
        lastError = own.reason;
        if (this.rendezvousPeer) this.retireRendezvous(this.rendezvousPeer);
        continue;
      }
      if (!this.isJoining()) {
        own.value.destroy();
        return null;
      }
      this.peer = own.value;
      if (claim.status === 'rejected') throw claim.reason;
      return { claimed: claim.value };
    }
    throw lastError;
  }

  /** Our token for `id` on `broker`: made on first use, kept for this join. */
  private brokerToken(broker: BrokerConfig, id: string): string {
    const key = `${brokerUrl(broker)} ${id}`;
    let token = this.brokerTokens.get(key);
    if (!token) this.brokerTokens.set(key, (token = randomParticipantId()));
    return token;
  }

  private get broker(): BrokerConfig {
    return this.config.brokers[this.brokerIndex] ?? this.config.brokers[0]!;
  }

  /** Whether our own id is on a broker (so we can dial, and be dialed by newcomers). */
  private get onBroker(): boolean {
    return !!this.peer && !this.peer.disconnected && !this.reconnecting;
  }

  /**
   * Our own id fell off the broker (it restarted, or the network to it went). The calls go on
   * peer to peer; we put our id back with exponential backoff, on the first broker of the list
   * that answers. A new Peer each time, under the same id and that broker's token: PeerJS's own `reconnect()`
   * has been seen to fail silently (peers/peerjs#1289).
   */
  private brokerLost(): void {
    if (this.tearingDown || this.stateValue !== 'joined' || this.reconnecting) return;
    this.reconnecting = true;
    this.brokerFailures = 0;
    this.emit('broker', { connected: false, server: brokerUrl(this.broker) });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.timers.later(backoffDelay(this.brokerFailures), () => void this.reconnectBroker());
  }

  private async reconnectBroker(): Promise<void> {
    if (this.stateValue !== 'joined' || this.tearingDown) return;
    if (await this.moveToBroker(this.config.brokers.length)) return;
    this.brokerFailures++;
    this.scheduleReconnect();
  }

  /**
   * Puts our own id on the first broker, among the first `count` of the list, that answers, and
   * moves there. Resolves whether one did.
   */
  private async moveToBroker(count: number): Promise<boolean> {
    for (const [index, broker] of this.config.brokers.slice(0, count).entries()) {
      const peer = await this.openOwnPeer(broker).catch(() => null);
      if (this.stateValue !== 'joined' || this.tearingDown) {
        peer?.destroy();
        return false;
      }
      if (!peer) continue;
      const old = this.peer;
      this.peer = peer;
      // The old Peer still carries the links made through it; it goes when they have all closed.
      if (old) this.retirePeer(old);
      if (index !== this.brokerIndex && this.rendezvousPeer) this.retireRendezvous(this.rendezvousPeer);
      this.brokerIndex = index;
      this.reconnecting = false;
      this.emit('broker', { connected: true, server: brokerUrl(broker) });
      void this.ensureRendezvous();
      return true;
    }
    return false;
  }

  /**
   * On a fallback broker, every so often (with backoff) look whether a preferred one is back:
   * joiners try the list in order, so the room must live on the first broker that answers.
   */
  private async probePreferredBrokers(): Promise<void> {
    if (this.brokerIndex === 0 || this.probing || this.reconnecting || Date.now() < this.probeAt) return;
    this.probing = true;
    try {
      if (await this.moveToBroker(this.brokerIndex)) this.probeFailures = 0;
      // Every 4 s, then every 8 s (±25 %): a probe is one WebSocket, and the room should not
      // stay split across brokers for long.
      else this.probeAt = Date.now() + backoffDelay(Math.min(3, 2 + this.probeFailures++));
    } finally {
      this.probing = false;
    }
  }

  /** A Peer we no longer use: off the broker now, destroyed once no link runs through it. */
  private retirePeer(peer: Peer): void {
    if (!peer.disconnected) peer.disconnect();
    this.retiredPeers.push(peer);
    this.pruneRetiredPeers();
  }

  /** Destroys retired Peers that carry no link any more. */
  private pruneRetiredPeers(): void {
    const live = new Set([...this.links.values(), ...this.pending].map((link) => link.conn.provider));
    for (const [index, peer] of [...this.retiredPeers.entries()].reverse()) {
      if (live.has(peer)) continue;
      this.retiredPeers.splice(index, 1);
      peer.destroy();
    }
  }

  /** We no longer hold the rendezvous id (lost with the broker, or left on the old one). */
  private retireRendezvous(peer: Peer): void {
    if (this.rendezvousPeer !== peer) return;
    this.rendezvousPeer = null;
    // Not destroyed: that would close the links that joiners made through it.
    this.retirePeer(peer);
    // Tell the others, so that one of them takes the id again.
    this.local.rendezvous = false;
    this.announce();
  }

  /** Tries to take the rendezvous id. Resolves true when we hold it. */
  private async tryClaim(): Promise<boolean> {
    if (this.rendezvousPeer) return true;
    const result = await openPeer(this.rendezvousId, this.broker, this.rtcConfig, this.brokerToken(this.broker, this.rendezvousId));
    if (!('peer' in result)) return false;
    if (this.stateValue !== 'joining' && this.stateValue !== 'joined') {
      result.peer.destroy();
      return false;
    }
    const peer = result.peer;
    this.rendezvousPeer = peer;
    peer.on('connection', (conn) => this.accept(conn));
    const lost = () => this.retireRendezvous(peer);
    peer.on('disconnected', lost);
    peer.on('close', lost);
    this.local.rendezvous = true;
    this.announce();
    return true;
  }

  /**
   * Dials the rendezvous id. Resolves true once its holder said hello (we are in the room),
   * false when nobody answered in time. Rejects with `room-full`.
   *
   * A holder that has just died may still have had its id when our offer went out: the broker
   * passed the offer to a dead socket, and nobody will answer. Meanwhile the others may have
   * taken the id. So if no channel opens within RENDEZVOUS_REDIAL_MS, the id is dialed once
   * more, beside the first dial; whichever holder says hello first wins (a live holder dialed
   * twice keeps one connection and closes the other).
   */
  private dialRendezvous(): Promise<boolean> {
    const peer = this.peer;
    // A Peer off its broker cannot dial (PeerJS returns no connection).
    if (!peer || peer.disconnected) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      const links = new Set<PeerLink>();
      const offs: (() => void)[] = [];
      let done = false;
      const finish = (value: boolean | RoomError, winner?: PeerLink) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(redial);
        for (const off of offs) off();
        for (const link of links) if (link !== winner) link.close();
        if (value instanceof RoomError) reject(value);
        else resolve(value);
      };
      const attempt = () => {
        if (peer.disconnected) return;
        const link = this.startLink(peer.connect(this.rendezvousId, { serialization: 'raw', reliable: true }), true);
        links.add(link);
        // Room.onMessage ran first: a hello it accepted has registered the link.
        offs.push(link.on('message', (m) => m.t === 'hello' && this.links.get(m.id) === link && finish(true, link)));
        offs.push(
          link.on('close', () => {
            links.delete(link);
            if (done) return;
            if (this.refused.has(link)) finish(new RoomError(ERROR_CODES.roomFull, 'the room is full'));
            else if (links.size > 0) return;
            // A holder that failed (or never finished) verification is dialed again, but not in a
            // tight loop. (Not a cleared timer: a leave meanwhile must still end the join loop.)
            else if (this.unverified.has(link) || (this.authKey && !link.isVerified)) setTimeout(() => finish(false), VERIFY_RETRY_MS);
            else finish(false);
          }),
        );
      };
      attempt();
      const redial = setTimeout(() => [...links].some((link) => link.open) || attempt(), RENDEZVOUS_REDIAL_MS);
      const timer = setTimeout(() => finish(false), RENDEZVOUS_DIAL_TIMEOUT_MS);
    });
  }

  /**
   * Every few seconds: make sure the room has a rendezvous holder, and send our roster again so
   * that a dial lost to a timeout or a crossed connection is tried again (anti-entropy).
   */
  private tick(): void {
    void this.probePreferredBrokers();
    void this.ensureRendezvous();
    if (this.people.size > 0) this.gossip();
  }

  /**
   * Makes sure the room has a rendezvous holder we are linked to; takes the id if it is free.
   * `holderSilent`: the holder we are linked to went quiet. If it died, the broker has freed its
   * id (a killed browser's socket closes at once) while our link to it waits for the heartbeat:
   * take the id now, or dial whoever took it, perhaps a newcomer that found the room empty. A
   * holder that is only slow still holds its id, and our dial to it is dropped as a duplicate.
   */
  private async ensureRendezvous(holderSilent = false): Promise<void> {
    if (this.stateValue !== 'joined' || this.claiming || this.rendezvousPeer || !this.onBroker) return;
    if (!holderSilent && this.linkedToRendezvous()) return;
    this.claiming = true;
    try {
      // Someone else took it: give their announcement a moment before dialing them.
      if (!(await this.tryClaim()) && (holderSilent || ((await this.settle(RENDEZVOUS_SETTLE_MS)) && !this.linkedToRendezvous())))
        await this.dialRendezvous();
    } catch {
      // A full room or a broker hiccup: the heartbeat and the next check try again.
    } finally {
      this.claiming = false;
    }
  }

  private linkedToRendezvous(): boolean {
    return [...this.remoteRendezvous].some((id) => this.links.get(id)?.open);
  }

  /** Waits `ms`; resolves whether we are still joined. */
  private settle(ms: number): Promise<boolean> {
    return new Promise((resolve) => this.timers.later(ms, () => resolve(this.stateValue === 'joined')));
  }

  /** An incoming connection: from the broker-verified id `conn.peer`. */
  private accept(conn: DataConnection): void {
    if (this.stateValue !== 'joining' && this.stateValue !== 'joined') {
      conn.close();
      return;
    }
    if (this.departed.has(conn.peer)) {
      conn.close();
      return;
    }
    const link = this.startLink(conn, false);
    // A connection that never opens (its dialer went quiet mid-handshake) does not stay pending,
    // where it would keep us from dialing that peer ourselves (see dial).
    this.closeUnlessIntroduced(link);
  }

  /**
   * Closes `link` if it is not introduced (no hello) and has stopped getting anywhere. Slow is not
   * dead: on a saturated machine a handshake can take longer than DIAL_TIMEOUT_MS, and one thrown
   * away is started again from nothing, slower still, so a room under load never closed its mesh.
   * A link that made progress in a period (ICE checking or connected, the channel open, messages
   * arriving: see PeerLink.progress) gets another, up to MAX_DIAL_PERIODS; one that made none is
   * closed, and so is one that never gets introduced (a peer that keeps a channel alive without
   * saying hello holds no slot for long).
   */
  private closeUnlessIntroduced(link: PeerLink): void {
    let progress = link.progress;
    let periods = 0;
    const check = () => {
      if (link.remoteId) return;
      const now = link.progress;
      if (now > progress && ++periods < MAX_DIAL_PERIODS) {
        progress = now;
        timer = setTimeout(check, DIAL_TIMEOUT_MS);
      } else link.close();
    };
    let timer = setTimeout(check, DIAL_TIMEOUT_MS);
    link.on('close', () => clearTimeout(timer));
    link.on('message', (m) => m.t === 'hello' && clearTimeout(timer));
  }

  private dial(id: string): void {
    const peer = this.peer;
    if (!peer || peer.disconnected || this.tearingDown || this.dialing.has(id) || this.links.has(id) || this.departed.has(id)) return;
    if ((this.dialBackoff.get(id)?.until ?? 0) > Date.now()) return;
    if (dialAllowance(this.config.maxParticipants, this.links.size, this.dialing.size) === 0) return;
    // They are dialing us: a dial of ours would only cross theirs (two handshakes on a loaded
    // machine, one of them thrown away). If theirs fails, the next roster brings us back here.
    for (const link of this.pending) if (!link.outgoing && link.conn.peer === id) return;
    this.dialing.add(id);
    this.closeUnlessIntroduced(this.startLink(peer.connect(id, { serialization: 'raw', reliable: true }), true));
  }

  private noteDialFailed(id: string): void {
    if (!this.dialing.delete(id)) return;
    const failures = (this.dialBackoff.get(id)?.failures ?? 0) + 1;
    this.dialBackoff.set(id, { failures, until: Date.now() + Math.min(60_000, 2_000 * 2 ** (failures - 1)) });
  }

  private abandonDial(id: string): void {
    for (const link of this.pending) if (link.conn.peer === id) link.close();
  }

  private startLink(conn: DataConnection, outgoing: boolean): PeerLink {
    const link = new PeerLink(conn, outgoing, this.config.localMedia, {
      authKey: this.authKey,
      frames: this.frameProtector,
      seal: this.sealer,
      localId: this.id,
    });
    this.pending.add(link);
    link.setSendCaps(this.caps);
    if (this.screenTrack) link.setScreenTrack(this.screenTrack);
    // The dialer introduces itself; the answerer answers with its own hello only once it has
    // accepted the dialer (or with `full`), so a hello always means "you are in".
    if (outgoing) link.on('open', () => link.send(this.hello()));
    link.on('message', (message) => this.onMessage(link, message));
    link.on('track', (track) => {
      const participant = link.remoteId ? this.people.get(link.remoteId) : undefined;
      if (participant && this.links.get(participant.id) === link) this.addTrack(participant, track);
      // With a room secret, media can come before the hello that makes the peer a participant.
      else if (!link.remoteId) this.earlyTracks.set(link, [...(this.earlyTracks.get(link) ?? []), track]);
    });
    link.on('invalid', ({ count }) => count >= MAX_INVALID_MESSAGES && link.close());
    link.relay = (payload) => this.relay(link, payload);
    link.on('reconnecting', ({ reconnecting }) => {
      const participant = this.participantOf(link);
      if (participant) this.emit('peer-reconnecting', { participant, reconnecting });
    });
    link.on('quality', ({ quality, rttMs, lossPercent }) => {
      const participant = this.participantOf(link);
      if (!participant) return;
      participant.quality = quality;
      this.emit('peer-quality', { participant, quality, rttMs, lossPercent });
    });
    link.on('silent', () => link.remoteId && this.remoteRendezvous.has(link.remoteId) && void this.ensureRendezvous(true));
    link.on('code', ({ code }) => {
      const participant = link.remoteId && this.links.get(link.remoteId) === link ? this.people.get(link.remoteId) : undefined;
      if (participant) {
        participant.code = code;
        this.emit('peer-code', { participant });
      }
    });
    link.on('verification-failed', ({ reason, detail }) => {
      this.unverified.add(link);
      const id = link.remoteId ?? link.conn.peer;
      this.emit('verification-failed', { id, name: this.people.get(id)?.name ?? '', reason, detail });
    });
    link.on('close', ({ bye, failed, closedByPeer }) => this.onLinkClosed(link, bye, failed, closedByPeer));
    return link;
  }

  /** The participant a link carries, if it is their current link. */
  private participantOf(link: PeerLink): Participant | undefined {
    return link.remoteId && this.links.get(link.remoteId) === link ? this.people.get(link.remoteId) : undefined;
  }

  /**
   * Sends a signalling message to a linked participant through the broker, for a link whose
   * path (and so its data channel) is lost. It rides a PeerJS CANDIDATE message without a
   * connection id, which the far end's PeerJS ignores and the room there reads (see
   * onBrokerMessage). Returns false when we are off the broker.
   */
  private relay(link: PeerLink, payload: RelayPayload): boolean {
    const peer = this.peer;
    if (!peer || peer.disconnected || !link.remoteId) return false;
    peer.socket.send({ type: 'CANDIDATE', dst: link.remoteId, payload });
    return true;
  }

  /** A message from the broker: a linked participant's relayed signalling goes to its link. */
  private onBrokerMessage(data: unknown): void {
    if (typeof data !== 'object' || data === null) return;
    const { type, src, payload } = data as { type?: unknown; src?: unknown; payload?: unknown };
    if (type !== 'CANDIDATE' || typeof src !== 'string' || typeof payload !== 'object' || payload === null) return;
    if ((payload as { connectionId?: unknown }).connectionId !== undefined) return;
    // Only the participant's own link takes it, and only if its MAC checks (see relay-auth.ts).
    this.links.get(src)?.receiveRelayed(payload);
  }

  /** Relayed messages our links dropped because they did not check (forged, altered or replayed). */
  get rejectedRelays(): number {
    return [...this.links.values()].reduce((sum, link) => sum + link.rejectedRelays, this.rejectedRelaysOfClosedLinks);
  }

  private addTrack(participant: Participant, { track, screen }: { track: MediaStreamTrack; screen: boolean }): void {
    const stream = screen ? participant.screenStream : participant.stream;
    // A screen share that starts again on the same transceiver brings back the same track.
    if (!stream.getTracks().includes(track)) stream.addTrack(track);
    this.emit('peer-track', { participant, track, screen });
  }

  /** Tracks that came before the hello join their participant now. */
  private addEarlyTracks(link: PeerLink, participant: Participant): void {
    const tracks = this.earlyTracks.get(link);
    this.earlyTracks.delete(link);
    for (const track of tracks ?? []) if (track.track.readyState === 'live') this.addTrack(participant, track);
  }

  private onMessage(link: PeerLink, message: PeerMessage): void {
    switch (message.t) {
      case 'hello':
        this.onHello(link, message);
        return;
      case 'state': {
        const participant = link.remoteId && this.links.get(link.remoteId) === link ? this.people.get(link.remoteId) : undefined;
        if (!participant) return;
        this.noteRendezvous(participant.id, message.rendezvous);
        participant.name = message.name;
        participant.audioMuted = message.audioMuted;
        participant.videoMuted = message.videoMuted;
        this.emit('peer-updated', { participant });
        if (participant.screenSharing !== message.screenSharing) {
          participant.screenSharing = message.screenSharing;
          this.emit('peer-screen', { participant, sharing: message.screenSharing });
        }
        return;
      }
      case 'roster':
        if (link.remoteId && this.links.get(link.remoteId) === link) this.onRoster(message.peers);
        return;
      case 'full':
        this.refused.add(link);
        link.close();
        return;
      case 'key':
      case 'key-ack':
        this.frameKeys?.handle(link, message);
        return;
      case 'chat': {
        const participant = this.participantOf(link);
        // Shown at once, marked with whether the sender was verified now; a later confirmation
        // does not change what was already said about this message.
        if (participant) this.emit('chat', { participant, text: message.text, verified: participant.verified });
        return;
      }
      default:
    }
  }

  private noteRendezvous(id: string, holds: boolean): void {
    if (holds) this.remoteRendezvous.add(id);
    else this.remoteRendezvous.delete(id);
  }

  private onHello(link: PeerLink, hello: Extract<PeerMessage, { t: 'hello' }>): void {
    if (link.remoteId) return;
    const viaRendezvous = link.outgoing && link.conn.peer === this.rendezvousId;
    // The broker vouches for conn.peer; only the holder of the rendezvous id may name itself.
    if ((!viaRendezvous && hello.id !== link.conn.peer) || hello.id === this.id || this.departed.has(hello.id)) {
      link.close();
      return;
    }
    const existing = this.links.get(hello.id);
    // A rendezvous dial that reached a holder we are already linked to: the link we have stays.
    if (existing && viaRendezvous) {
      link.close();
      return;
    }
    if (existing) {
      const existingDialer = existing.outgoing ? this.id : hello.id;
      const newDialer = link.outgoing ? this.id : hello.id;
      if (!preferNewConnection(existingDialer, newDialer)) {
        link.close();
        return;
      }
    } else if (this.people.size + 1 >= this.config.maxParticipants) {
      link.leave({ t: 'full' });
      return;
    }
    link.remoteId = hello.id;
    if (!link.outgoing) link.send(this.hello());
    this.pending.delete(link);
    this.dialing.delete(hello.id);
    this.dialBackoff.delete(hello.id);
    this.links.set(hello.id, link);
    this.noteRendezvous(hello.id, hello.rendezvous);
    // With a secret the peer gets our frame key now: it is verified (a hello comes only after
    // that) and both ids are known, which the sealed key is bound to.
    this.frameKeys?.add(link);
    if (existing) {
      // Same participant, better connection: move over without a leave/join flicker. The new
      // connection has new certificates, so a code confirmed for the old one no longer counts.
      const participant = this.people.get(hello.id);
      existing.close();
      if (participant) {
        participant.verified = this.verification === 'secret';
        participant.code = link.code;
        participant.quality = link.quality;
        this.emit('peer-code', { participant });
      }
      // The new link's tracks arrive after its hello (the channel is ordered).
      if (participant) {
        for (const stream of [participant.stream, participant.screenStream])
          for (const track of stream.getTracks()) stream.removeTrack(track);
        this.addEarlyTracks(link, participant);
      }
      this.updateCaps();
      return;
    }
    const participant: Participant = {
      id: hello.id,
      name: hello.name,
      audioMuted: hello.audioMuted,
      videoMuted: hello.videoMuted,
      screenSharing: hello.screenSharing,
      stream: new MediaStream(),
      screenStream: new MediaStream(),
      verified: this.verification === 'secret',
      code: link.code,
      quality: link.quality,
    };
    this.people.set(hello.id, participant);
    this.updateCaps();
    this.emit('peer-joined', { participant });
    this.addEarlyTracks(link, participant);
    if (participant.verified) this.emit('peer-verified', { participant, method: 'secret' });
    if (participant.screenSharing) this.emit('peer-screen', { participant, sharing: true });
    this.gossip();
  }

  /** Our state as the others should see it: a track we could not capture counts as off. */
  private wireState(): PeerState {
    return {
      ...this.local,
      audioMuted: this.local.audioMuted || !this.captured.audio,
      videoMuted: this.local.videoMuted || !this.captured.video,
    };
  }

  /**
   * Tells every peer our current state, including peers we dialed that have not answered yet:
   * their hello from us may have gone out before this change.
   */
  private announce(): void {
    const message: PeerMessage = { t: 'state', ...this.wireState() };
    this.broadcast(message);
    for (const link of this.pending) if (link.outgoing) link.send(message);
  }

  private hello(): PeerMessage {
    return { t: 'hello', id: this.id, ...this.wireState() };
  }

  /** Sends the whole roster to every link, so each newcomer and each member learns of the others. */
  private gossip(): void {
    const peers: RosterEntry[] = this.participants.map((p) => ({ id: p.id, name: p.name }));
    peers.push({ id: this.id, name: this.local.name });
    this.broadcast({ t: 'roster', peers });
  }

  private onRoster(entries: RosterEntry[]): void {
    const known = new Set([...this.links.keys(), ...this.dialing]);
    // Entries beyond a full room are ignored (dial checks again when a fallback timer fires).
    const allowance = dialAllowance(this.config.maxParticipants, this.links.size, this.dialing.size);
    for (const entry of newcomers(entries, this.id, known, this.departed).slice(0, allowance)) {
      if (shouldDial(this.id, entry.id)) this.dial(entry.id);
      else this.timers.later(DIAL_FALLBACK_MS, () => !this.links.has(entry.id) && this.dial(entry.id));
    }
  }

  private onLinkClosed(link: PeerLink, bye: boolean, failed: boolean, closedByPeer: boolean): void {
    this.pending.delete(link);
    this.rejectedRelaysOfClosedLinks += link.rejectedRelays;
    this.earlyTracks.delete(link);
    this.frameKeys?.remove(link);
    if (this.tearingDown) return;
    // Once the room has forgotten this link, a retired Peer it ran through may go.
    queueMicrotask(() => !this.tearingDown && this.pruneRetiredPeers());
    const id = link.remoteId;
    if (!id || this.links.get(id) !== link) {
      if (!link.remoteId && link.outgoing) this.noteDialFailed(link.conn.peer);
      return;
    }
    this.links.delete(id);
    if (bye) this.departed.add(id);
    const participant = this.people.get(id);
    this.people.delete(id);
    const wasRendezvous = this.remoteRendezvous.delete(id);
    this.updateCaps();
    // Whoever left keeps our old key: from now on we send with one they do not have.
    this.frameKeys?.rotate();
    if (participant) {
      for (const track of [...participant.stream.getTracks(), ...participant.screenStream.getTracks()]) track.stop();
      if (participant.screenSharing) this.emit('peer-screen', { participant, sharing: false });
      if (failed)
        this.emit('error', { code: ERROR_CODES.peerConnectionFailed, message: `The connection to ${participant.name || 'a participant'} failed.` });
      // Only a goodbye keeps the id from being dialed again; a channel the peer closed counts as a
      // leave too (its goodbye can be lost when a tab closes), but ids can cross in a reconnect.
      this.emit('peer-left', { participant, reason: bye || closedByPeer ? 'left' : 'lost' });
    }
    // The holder went away: race the others for its id (jittered to spare the broker).
    if (wasRendezvous && this.stateValue === 'joined') this.timers.later(Math.random() * 300, () => void this.ensureRendezvous());
  }

  private broadcast(message: PeerMessage): void {
    for (const link of this.links.values()) link.send(message);
  }


  private teardown(): void {
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    if (this.rendezvousCheck) clearInterval(this.rendezvousCheck);
    this.rendezvousCheck = null;
    this.timers.clear();
    // Our own leave is not the peers' leave: no peer-left events, no rendezvous races.
    this.tearingDown = true;
    const peers = [this.peer, this.rendezvousPeer, ...this.retiredPeers].filter((p): p is Peer => p !== null);
    this.peer = null;
    this.rendezvousPeer = null;
    // Off the broker at once (the rendezvous id is free for the others to take); the links
    // stay up until the goodbyes are through, since destroying a Peer closes its connections.
    for (const peer of peers) peer.disconnect();
    const goodbyes = [...this.links.values()].map((link) => new Promise((resolve) => {
      link.on('close', resolve);
      link.leave();
    }));
    for (const link of [...this.pending]) link.close();
    void Promise.all(goodbyes).then(() => peers.forEach((peer) => peer.destroy()));
    for (const participant of this.people.values())
      for (const track of [...participant.stream.getTracks(), ...participant.screenStream.getTracks()]) track.stop();
    this.frameKeys?.close();
    // The worker goes once the goodbyes are through (the links still carry frames until then).
    const frameCrypto = this.frameCrypto;
    if (frameCrypto) void Promise.all(goodbyes).then(() => frameCrypto.close());
    this.links.clear();
    this.pending.clear();
    this.earlyTracks.clear();
    this.dialing.clear();
    this.people.clear();
  }
}
