/**
 * A room: one join, composed of its parts. The broker session keeps our own id on a PeerServer
 * (signalling/broker-session.ts); the rendezvous lets newcomers find the room there
 * (rendezvous.ts); the mesh links us to every other participant and completes itself by gossip
 * (mesh.ts); the participants are what the room shows of them (participants.ts); media travels on
 * the media path (media/media-path.ts: today over each link); with a secret, frames are encrypted
 * and keys and chat sealed (e2ee/room-crypto.ts).
 */
import type { DataConnection, Peer } from 'peerjs';
import { TypedEventTarget } from '../util/typed-event-target.js';
import { Timers } from '../util/timers.js';
import { PeerLink } from '../link/peer-link.js';
import type { FrameKeys } from '../e2ee/frame-keys.js';
import type { FrameCryptoStats } from '../e2ee/frame-crypto.js';
import { startEncryption, type RoomEncryption } from '../e2ee/room-crypto.js';
import type { PeerState } from '../signalling/protocol.js';
import { BrokerSession } from '../signalling/broker-session.js';
import { hasTurn } from '../signalling/ice-servers.js';
import { applyIceServers, IceServerSource } from '../signalling/ice-source.js';
import { DEFAULT_MAX_UPSTREAM_KBPS } from '../link/bandwidth.js';
import { DEFAULT_VIDEO_QUALITY, type VideoQuality } from '../media/quality.js';
import type { MediaPath, Upstream } from '../media/media-path.js';
import { SfuSlot } from './sfu-slot.js';
import type { Layer } from '../layout/layers.js';
import { SharedLevels } from '../media/shared-levels.js';
import { MeshMediaPath } from '../media/mesh-media-path.js';
import { ERROR_CODES, type RoomState } from '../constants.js';
import { systemClock } from './clock.js';
import { Mesh } from './mesh.js';
import { Participants, type Participant, type VerificationMethod } from './participants.js';
import { Rendezvous, RENDEZVOUS_CHECK_MS } from './rendezvous.js';
import type { RoomConfig, RoomEvents } from './room-api.js';
import { RoomError } from './room-error.js';
import { randomParticipantId, rendezvousIds } from './room-id.js';

export { RoomError };
export type { Participant, VerificationMethod, RoomConfig, RoomEvents };

/** A peer sending this many invalid messages is dropped. */
const MAX_INVALID_MESSAGES = 50;

/** The mesh for one room and one join. Create a new Room for each join. */
export class Room extends TypedEventTarget<RoomEvents> {
  /** Our participant id for this join. */
  readonly id = randomParticipantId();
  readonly #config: RoomConfig;
  #stateValue: RoomState = 'idle';
  /** One-shot timers of the parts, all cleared when we leave. */
  readonly #timers = new Timers();
  readonly #clock = systemClock(this.#timers);
  #rendezvousCheck: ReturnType<typeof setInterval> | null = null;
  #local: PeerState;
  /** Which local tracks exist; assumed until capture settles. */
  #captured = { audio: true, video: true };
  readonly #onPageHide = () => this.leave();
  /** With a room secret: the HMAC key peers prove they have. */
  #authKey: CryptoKey | null = null;
  /** With a room secret: frame encryption and sealing, once loaded. */
  #encryption: RoomEncryption | null = null;
  /** With `iceServers: 'auto'`: the broker's server's STUN and TURN, kept fresh. */
  #ice: IceServerSource | null = null;
  /**
   * The RTC configuration of every connection, one object from the first Peer on: PeerJS keeps
   * it by reference, so fresh TURN credentials put into it reach the connections made later.
   */
  #rtc: RTCConfiguration | null = null;
  #upstream: Upstream;
  readonly #media: MediaPath<Participant>;
  /** Which way each participant's media comes (mesh or SFU), and the SFU while it is used. TypeScript-private: tests look in. */
  private readonly sfu: SfuSlot;
  readonly #people: Participants;
  /** Microphone levels: ours as we told it, the others' as they told theirs. */
  readonly #levels = new SharedLevels();
  readonly #rendezvous: Rendezvous<PeerLink, Peer>;
  // The members below are TypeScript-private, not #private: browser tests look into them.
  /** With a room secret: our frame keys, given to each verified peer, made new when one leaves. */
  private frameKeys: FrameKeys | null = null;
  private readonly mesh: Mesh<PeerLink>;
  private readonly session: BrokerSession;

  constructor(config: RoomConfig) {
    super();
    this.#config = config;
    this.#upstream = { maxUpstreamKbps: config.maxUpstreamKbps ?? DEFAULT_MAX_UPSTREAM_KBPS, quality: config.videoQuality ?? DEFAULT_VIDEO_QUALITY };
    this.#local = { name: config.name, audioMuted: config.audioMuted, videoMuted: config.videoMuted, screenSharing: false, rendezvous: false };
    this.#media = new MeshMediaPath(config.localMedia, this.#upstream, (participant, track) => this.sfu.meshTrack(participant, track));
    this.sfu = this.#makeSfu();
    this.#people = new Participants((type, detail) => this.emit(type, detail), this.verification, (link) => this.mesh.isCurrent(link));
    this.mesh = this.#makeMesh();
    this.session = this.#makeSession();
    this.#rendezvous = this.#makeRendezvous();
    // Without a camera or microphone (refused, missing, busy) we join receive-only, and the
    // others are told that track is off so they show the name instead of a black tile.
    void config.localMedia.then((stream) => {
      this.#captured = { audio: !!stream?.getAudioTracks().length, video: !!stream?.getVideoTracks().length };
      this.#announce();
    });
  }

  /** Current state. */
  get state(): RoomState {
    return this.#stateValue;
  }

  /** The remote participants, in join order. */
  get participants(): Participant[] {
    return this.#people.all();
  }

  /** Every RTCPeerConnection of the mesh, for statistics. */
  get peerConnections(): RTCPeerConnection[] {
    return [...this.#media.peerConnections, ...this.sfu.peerConnections];
  }

  /** Whether this participant holds the room's rendezvous id. */
  get isRendezvous(): boolean {
    return this.#rendezvous.holder !== null;
  }

  /** How participants are verified: by the room secret, or by comparing short codes. */
  get verification(): VerificationMethod {
    return this.#config.secret ? 'secret' : 'sas';
  }

  /** With a room secret: how many times our frame key changed, and its current id. */
  get keyEpoch(): { epoch: number; kid: number } | null {
    return this.frameKeys ? { epoch: this.frameKeys.epoch, kid: this.frameKeys.kid } : null;
  }

  /** Frame-encryption counters (encrypted, decrypted, dropped), or null without a secret. */
  frameStats(): Promise<FrameCryptoStats> | null {
    return this.#encryption?.frameCrypto.stats() ?? null;
  }

  /** Relayed messages our links dropped because they did not check (forged, altered or replayed). */
  get rejectedRelays(): number {
    return [...this.mesh.links.values()].reduce((sum, link) => sum + link.rejectedRelays, this.session.rejectedRelaysOfClosedLinks);
  }

  /**
   * Records whether a person found the short code of `id`'s connection to match theirs. A match
   * marks them verified; a mismatch closes the connection. Returns false for an unknown id.
   */
  confirmCode(id: string, matches: boolean): boolean {
    return this.#people.confirm(id, this.mesh.links.get(id), matches);
  }

  /**
   * Sends a chat message to every participant in the call, verified or not (with short codes, the
   * far end marks it as from an unverified sender until it confirms our code). Returns how many it
   * went to.
   */
  sendChat(text: string): number {
    // With a secret, a link sends nothing before the peer proved it (PeerLink.send): not counted.
    const to = [...this.mesh.links].filter(([id, link]) => this.#people.get(id) && link.open && link.isVerified);
    for (const [, link] of to) link.send({ t: 'chat', text });
    return to.length;
  }

  /** Joins the room; resolves once in it, rejects with a RoomError. */
  async join(): Promise<void> {
    if (this.#stateValue !== 'idle') throw new Error('a Room joins once; create a new one');
    if (this.#config.brokers.length === 0) throw new RoomError(ERROR_CODES.invalidServer, 'no PeerServer given');
    this.#setState('joining');
    try {
      const { room, secret = null } = this.#config;
      const encryption = secret ? startEncryption(room, secret, () => this.#isJoining(), (e) => this.#encrypt(e)) : null;
      // Awaited below, after the ids: a failure meanwhile is handled there, not "unhandled" on the page.
      encryption?.catch(() => undefined);
      // Asked for side by side with the rest; a server that does not answer in time costs 4 s at most.
      const ice = this.#config.iceServers === 'auto' ? (this.#ice = new IceServerSource(this.#config.brokers)).ready() : null;
      [this.#rendezvous.id] = this.#config.rendezvousIdsOverride ?? (await rendezvousIds(room, secret));
      if (secret) this.#authKey = await (await import('../e2ee/keys.js')).deriveAuthKey(room, secret);
      await Promise.all([encryption, ice]);
      if (!this.#isJoining()) return;
      this.#startIce();
      const deadline = Date.now() + (this.#config.joinTimeoutMs ?? 30_000);
      const first = await this.session.openFirst(this.#rendezvous);
      if (!first) return;
      await this.#rendezvous.enter(first.claimed, deadline);
      if (!this.#isJoining()) return;
      this.#rendezvousCheck = setInterval(() => this.#tick(), RENDEZVOUS_CHECK_MS);
      globalThis.addEventListener?.('pagehide', this.#onPageHide);
      this.#setState('joined');
      this.#resize();
    } catch (error) {
      const roomError = error instanceof RoomError ? error : new RoomError(ERROR_CODES.brokerUnreachable, `the PeerServer could not be reached (${String(error)})`);
      if (this.#isJoining()) {
        this.#teardown();
        this.#setState('error');
      }
      throw roomError;
    }
  }

  /** Leaves: says goodbye to every peer and releases every connection and timer. */
  leave(): void {
    if (this.#stateValue === 'left' || this.#stateValue === 'idle') return;
    this.#teardown();
    this.#setState('left');
  }

  /** Updates our name or mute state and tells every peer. */
  updateLocal(changes: Partial<Omit<PeerState, 'rendezvous' | 'screenSharing'>>): void {
    this.#local = { ...this.#local, ...changes };
    this.sfu.path?.syncEnabled(); // a mute reaches what goes up to the SFU (clones of the tracks)
    this.#announce();
  }

  /**
   * The local camera and microphone changed (a device switch, or a track that was missing):
   * every link swaps its tracks with replaceTrack, and the peers learn which tracks exist.
   */
  updateLocalMedia(stream: MediaStream | null): void {
    this.#captured = { audio: !!stream?.getAudioTracks().length, video: !!stream?.getVideoTracks().length };
    this.#media.setLocalStream(stream);
    this.sfu.path?.setLocalStream(stream);
    this.#announce();
  }

  /** Shares a screen with everyone (null stops); newcomers get it as they join. */
  setScreenTrack(track: MediaStreamTrack | null): void {
    if (track === this.#media.screenTrack) return;
    this.#local.screenSharing = track !== null;
    this.#media.setScreenTrack(track);
    this.sfu.path?.setScreenTrack(track);
    this.#announce();
  }

  /** Changes the upstream budget or the camera quality; the caps follow at once. */
  setUpstream(changes: Partial<{ maxUpstreamKbps: number; quality: VideoQuality }>): void {
    this.#upstream = { ...this.#upstream, ...changes };
    this.#media.setUpstream(changes);
    this.sfu.path?.setUpstream(this.#upstream);
  }

  /** The simulcast layer each remote camera needs, as the element lays the tiles out: the SFU forwards only that. */
  setLayers(layers: ReadonlyMap<string, Layer>): void {
    this.sfu.layers(layers);
  }

  /** The current microphone level (0..1) of each remote participant, as each last told it. */
  audioLevels(): Map<string, number> {
    const now = performance.now();
    return new Map(this.#people.all().map((p) => [p.id, p.audioMuted ? 0 : this.#levels.level(p.id, now)]));
  }

  /** Our microphone level (0..1), sampled: everyone is told when it changes (see SharedLevels). */
  shareLevel(level: number): void {
    const value = this.#levels.outgoing(this.#local.audioMuted ? 0 : level, performance.now());
    if (value === null) return;
    // Not queued on a link looking for a new path: it would be stale when it arrives, and in
    // Firefox such a queue kept a restored path from being found again (network-loss.test.ts).
    for (const link of this.mesh.links.values()) if (link.quality !== 'reconnecting') link.send({ t: 'level', level: value });
  }

  /** The mesh, wired to the room: its links are PeerLinks, its participants ours. */
  #makeMesh(): Mesh<PeerLink> {
    return new Mesh<PeerLink>(
      {
        id: this.id,
        maxParticipants: this.#config.maxParticipants,
        rendezvousId: () => this.#rendezvous.id,
        connect: (id) => this.session.dialer()?.(id) ?? null,
        hello: () => ({ t: 'hello', id: this.id, ...this.#wireState() }),
        roster: () => [...this.#people.all().map(({ id, name }) => ({ id, name })), { id: this.id, name: this.#local.name }],
        introduced: (link, hello) => {
          this.#rendezvous.note(hello.id, hello.rendezvous);
          // With a secret the peer gets our frame key now: it is verified (a hello comes only after
          // that) and both ids are known, which the sealed key is bound to.
          this.frameKeys?.add(link);
        },
        linked: (link, hello, replaced) => {
          const participant = replaced ? this.#people.relinked(link, hello.id) : this.#people.add(link, hello);
          if (!participant) return;
          this.#media.attach(participant, link);
          this.sfu.linked(participant, link, hello);
          if (!replaced) this.emit('peer-joined', { participant });
          this.#media.release(link);
          if (!replaced) this.#people.introduce(participant);
          this.#resize();
        },
        message: (link, message) => {
          if (message.t === 'key' && !this.frameKeys) this.sfu.earlyKey(link, message);
          else if (message.t === 'key' || message.t === 'key-ack') this.frameKeys?.handle(link, message);
          else if (message.t === 'chat') this.#people.chat(link, message.text);
          else if (message.t === 'level') {
            const participant = this.#people.of(link);
            if (participant) this.#levels.heard(participant.id, message.level, performance.now());
          }
          else if (message.t === 'state') {
            const participant = this.#people.of(link);
            if (!participant) return;
            this.#rendezvous.note(participant.id, message.rendezvous);
            this.#people.update(participant, message);
            this.sfu.peer(participant, message);
          }
        },
        dropped: (link) => {
          this.session.linkClosed(link);
          this.#media.remove(link);
          this.frameKeys?.remove(link);
        },
        left: (id, detail) => {
          this.#rendezvous.left(id);
          this.#media.detach(id);
          this.sfu.left(id);
          this.#levels.forget(id);
          // Whoever left keeps our old key: from now on we send with one they do not have.
          this.frameKeys?.rotate();
          this.#people.remove(id, detail);
          this.#resize();
        },
      },
      this.#clock,
    );
  }

  /** The rendezvous, wired to the room: it claims the id through the broker session, dials through the mesh. */
  #makeRendezvous(): Rendezvous<PeerLink, Peer> {
    return new Rendezvous<PeerLink, Peer>(
      this.mesh,
      this.session,
      {
        unverified: (link) => this.#people.unverified.has(link) || (!!this.#authKey && !link.isVerified),
        holding: (holds) => {
          this.#local.rendezvous = holds;
          this.#announce();
        },
        state: () => this.#stateValue,
      },
      this.#clock,
    );
  }

  /** The broker session, wired to the room. */
  #makeSession(): BrokerSession {
    return new BrokerSession(
      {
        id: this.id,
        brokers: this.#config.brokers,
        rtcConfig: () => this.#rtcConfig,
        // Every connection we dial negotiates the camera and microphone in its first offer.
        prepareOffer: (pc) => this.#media.prepareOffer(pc),
        accept: (conn) => this.#accept(conn),
        dialed: (conn) => this.#startLink(conn, true),
        state: () => this.#stateValue,
        changed: (connected, server, moved) => {
          if (moved) this.#rendezvous.retire();
          this.emit('broker', { connected, server });
          if (connected) void this.#rendezvous.ensure();
        },
        // The rendezvous id's socket went with ours: once back, we take the id again or dial its holder.
        stale: () => this.#rendezvous.retire(),
      },
      this.mesh,
    );
  }

  /** The room's size changed: the route may move to the SFU or back. */
  #resize(): void {
    if (this.#stateValue === 'joined') this.sfu.size(this.#people.all().length + 1);
  }

  /** The SFU's slot, wired to the room (its part loads near the threshold). */
  #makeSfu(): SfuSlot {
    const { room, secret = null, sfuThreshold = 'never', mediaServers = 'auto' } = this.#config;
    const joined = () => this.#stateValue === 'joined';
    return new SfuSlot({
      id: this.id,
      room,
      secret,
      threshold: sfuThreshold,
      servers: () => (mediaServers === 'auto' ? (this.#ice?.mediaServers ?? []) : mediaServers),
      localMedia: this.#config.localMedia,
      upstream: () => this.#upstream,
      rtc: () => this.#rtcConfig,
      mesh: this.#media,
      encryption: async () => {
        if (!this.#encryption) await startEncryption(room, null, joined, (e) => this.#encrypt(e));
        return this.#encryption;
      },
      members: () => this.#people.all().flatMap((participant) => (this.mesh.links.has(participant.id) ? [{ participant, link: this.mesh.links.get(participant.id)! }] : [])),
      show: (participant, track) => this.#people.addTrack(participant, track),
      hide: (participant, track) => this.#people.removeTrack(participant, track),
      announce: () => this.#announce(),
      error: (code, message) => this.emit('error', { code, message }),
      joined,
      peerConnections: () => this.peerConnections,
    });
  }

  /** The encryption is loaded: with a secret when we join, without one with the SFU. */
  #encrypt(encryption: RoomEncryption): void {
    this.#encryption = encryption;
    // Without a secret the mesh's media stays as it is (DTLS); only the SFU's frames are encrypted.
    if (encryption.sealer) this.#media.frames = encryption.frames;
    this.frameKeys = encryption.frameKeys;
    encryption.frameKeys.on('epoch', ({ epoch }) => this.emit('key-epoch', { epoch }));
    if (!this.#config.secret) this.sfu.keysReady(encryption.frameKeys); // in this same step: see SfuSlot.keysReady
  }

  /** An incoming connection: from the broker-verified id `conn.peer`. */
  #accept(conn: DataConnection): void {
    if ((this.#stateValue !== 'joining' && this.#stateValue !== 'joined') || this.mesh.departed.has(conn.peer)) return conn.close();
    // A connection that never opens (its dialer went quiet mid-handshake) does not stay pending,
    // where it would keep us from dialing that peer ourselves (see Mesh.dial).
    this.mesh.closeUnlessIntroduced(this.#startLink(conn, false));
  }

  #startLink(conn: DataConnection, outgoing: boolean): PeerLink {
    const link = new PeerLink(conn, outgoing, this.#media.localMedia, {
      authKey: this.#authKey,
      frames: this.#media.frames,
      seal: this.#encryption?.sealer ?? null,
      localId: this.id,
    });
    this.mesh.add(link);
    this.#media.add(link);
    this.#people.watch(link);
    link.on('invalid', ({ count }) => count >= MAX_INVALID_MESSAGES && link.close());
    link.relay = (payload) => this.session.relay(link, payload);
    link.on('silent', () => link.remoteId && this.#rendezvous.silent(link.remoteId));
    return link;
  }

  /**
   * Every few seconds: make sure the room has a rendezvous holder, and send our roster again so
   * that a dial lost to a timeout or a crossed connection is tried again (anti-entropy).
   */
  #tick(): void {
    void this.session.probe();
    void this.#rendezvous.ensure();
    if (this.mesh.links.size > 0) this.mesh.gossip();
  }

  /** Our state as the others should see it: a track we could not capture counts as off. */
  #wireState(): PeerState {
    return {
      ...this.#local,
      ...this.sfu.state(),
      audioMuted: this.#local.audioMuted || !this.#captured.audio,
      videoMuted: this.#local.videoMuted || !this.#captured.video,
    };
  }

  /** Tells every peer our current state, including peers we dialed that have not answered yet. */
  #announce(): void {
    this.mesh.announce({ t: 'state', ...this.#wireState() });
  }

  /** Whether a join is still under way (a leave during it ends it). */
  #isJoining(): boolean {
    return this.#stateValue === 'joining';
  }

  #setState(state: RoomState): void {
    if (state === this.#stateValue) return;
    this.#stateValue = state;
    this.emit('state', { state });
  }

  get #rtcConfig(): RTCConfiguration {
    const { iceServers, iceTransportPolicy = 'all' } = this.#config;
    return (this.#rtc ??= { iceServers: this.#ice ? this.#ice.servers : iceServers === 'auto' ? [] : iceServers, iceTransportPolicy, ...this.#encryption?.rtc });
  }

  /** Fixes the RTC configuration (encryption and ICE servers are known now) and follows fresh credentials. */
  #startIce(): void {
    const rtc = this.#rtcConfig;
    if (rtc.iceTransportPolicy === 'relay' && !hasTurn(rtc.iceServers ?? []))
      throw new RoomError(ERROR_CODES.invalidIceTransportPolicy, 'ice-transport-policy is relay, but the server hands out no TURN server');
    this.#ice?.subscribe((servers) => {
      rtc.iceServers = servers;
      // Open allocations outlive their credentials; an ICE restart needs fresh ones.
      for (const link of this.mesh.all) applyIceServers(link.pc, servers);
    });
  }

  #teardown(): void {
    globalThis.removeEventListener?.('pagehide', this.#onPageHide);
    if (this.#rendezvousCheck) clearInterval(this.#rendezvousCheck);
    this.#rendezvousCheck = null;
    this.#timers.clear();
    // Our own leave is not the peers' leave: no peer-left events, no rendezvous races. Off the
    // broker at once (the rendezvous id is free for the others to take); the links stay up until
    // the goodbyes are through, since destroying a Peer closes its connections.
    const peers = this.session.close(this.#rendezvous.close());
    const goodbyes = this.mesh.close();
    void goodbyes.then(() => peers.forEach((peer) => peer.destroy()));
    this.#people.clear();
    this.frameKeys?.close();
    this.#ice?.close();
    // The worker goes once the goodbyes are through (the links still carry frames until then).
    const frameCrypto = this.#encryption?.frameCrypto;
    if (frameCrypto) void goodbyes.then(() => frameCrypto.close());
    this.#media.close();
    this.sfu.close();
  }
}
