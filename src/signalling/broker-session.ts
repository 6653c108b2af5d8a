/**
 * Our presence on the brokers for one join: our own Peer on the first broker of the list that
 * answers; when it falls off, putting it back with backoff; on a fallback broker, looking for a
 * preferred one to come back; the Peers we no longer use (retired: off the broker, destroyed once
 * no link runs through them); and signalling relayed through the broker for links that lost
 * their path.
 */
import type { DataConnection, Peer } from 'peerjs';
import type { PeerLink } from '../link/peer-link.js';
import { ERROR_CODES, type RoomState } from '../constants.js';
import { RoomError } from '../room/room-error.js';
import { randomParticipantId } from '../room/room-id.js';
import { Timers } from '../util/timers.js';
import type { RelayPayload } from './relay-auth.js';
import { backoffDelay, brokerUrl, openPeer, sendEcho, type BrokerConfig, type OfferPreparer } from './broker.js';

/**
 * How long our own message, relayed back to us by the broker, may take before our socket counts
 * as dead. A line that was down leaves the socket open on our side: the broker dropped it after
 * its alive_timeout, but we learn that only when a TCP retransmission, backed off to tens of
 * seconds by then, reaches it and is refused. Until then nobody can dial us, and we dial nobody.
 */
export const BROKER_ECHO_TIMEOUT_MS = 5_000;

/** What the broker session needs of the room around it. */
export interface BrokerHost {
  /** Our participant id. */
  readonly id: string;
  /** The brokers, in order of preference. */
  readonly brokers: BrokerConfig[];
  /** The RTC configuration of every connection. */
  rtcConfig(): RTCConfiguration;
  /** Readies each connection we dial before its first offer. */
  prepareOffer: OfferPreparer;
  /** An incoming connection to one of our ids. */
  accept(conn: DataConnection): void;
  /** The link of a connection we dialed. */
  dialed(conn: DataConnection): PeerLink;
  /** The room's state. */
  state(): RoomState;
  /** We lost the broker (false), or are on one again (true); `moved`: a different one than before. */
  changed(connected: boolean, server: string, moved: boolean): void;
  /** Our socket to the broker stopped carrying messages without closing: any other socket we hold there is as dead. */
  stale(): void;
}

/** What the broker session needs of the mesh: its links (relayed signalling goes to them; a retired Peer stays while one runs through it). */
export interface BrokerMesh {
  readonly links: Map<string, PeerLink>;
  readonly all: PeerLink[];
  /** The broker says `id` is not there: dials to it close. */
  abandonDial(id: string): void;
}

/** Our own Peer and its brokers, for one join. */
export class BrokerSession {
  /** Our own Peer, on the broker we are on (or trying to get back to). */
  peer: Peer | null = null;
  /** The broker we are on: an index into `host.brokers`. */
  #index = 0;
  /**
   * Per broker and id, the token that proves to that broker that a new Peer under the id is us
   * (it then replaces the old socket). Never sent to another broker or with another id: a
   * fallback broker that saw one could otherwise take over our ids on the first (issue 16).
   */
  readonly #tokens = new Map<string, string>();
  /** While our own id is off the broker: trying again, with backoff. */
  #reconnecting = false;
  #failures = 0;
  /** On a fallback broker: when to look at the preferred ones again. */
  #probeAt = 0;
  #probeFailures = 0;
  #probing = false;
  /** Peers that lost the broker but still carry links; destroyed on leave. */
  readonly #retired: Peer[] = [];
  readonly #timers = new Timers();
  #closed = false;
  /** Relayed messages dropped by links that have closed since. */
  rejectedRelaysOfClosedLinks = 0;
  /** The nonce of our echo under way through the broker (see #checkSocket), or null. */
  #echo: string | null = null;

  readonly #host: BrokerHost;
  readonly #mesh: BrokerMesh;

  constructor(host: BrokerHost, mesh: BrokerMesh) {
    this.#host = host;
    this.#mesh = mesh;
  }

  /** The broker we are on. */
  get broker(): BrokerConfig {
    return this.#host.brokers[this.#index] ?? this.#host.brokers[0]!;
  }

  /** Whether our own id is on a broker (so we can dial, and be dialed by newcomers). */
  get onBroker(): boolean {
    return !!this.peer && !this.peer.disconnected && !this.#reconnecting;
  }

  /**
   * Opens our own id on the first broker that answers, in the order given, trying the
   * rendezvous id there at the same time. Resolves null if the join was abandoned meanwhile;
   * rejects when no broker answers.
   */
  async openFirst(rendezvous: { claim(): Promise<boolean>; retire(): void }): Promise<{ claimed: boolean } | null> {
    let lastError: unknown;
    for (const [index, broker] of this.#host.brokers.entries()) {
      this.#index = index;
      const [own, claim] = await Promise.allSettled([this.#openOwn(broker), rendezvous.claim()]);
      if (own.status === 'rejected') {
        lastError = own.reason;
        rendezvous.retire();
        continue;
      }
      if (this.#host.state() !== 'joining') {
        own.value.destroy();
        return null;
      }
      this.peer = own.value;
      if (claim.status === 'rejected') throw claim.reason;
      return { claimed: claim.value };
    }
    throw lastError;
  }

  /** Opens another Peer under `id` on our broker (its connections go to the room): it, or null when the id is taken. */
  async open(id: string): Promise<Peer | null> {
    const result = await openPeer(id, this.broker, this.#host.rtcConfig(), this.#token(this.broker, id));
    if (!('peer' in result)) return null;
    result.peer.on('connection', (conn) => this.#host.accept(conn));
    return result.peer;
  }

  /** What dials from our own Peer, as it is now (nothing once it is off its broker); null while it is off. */
  dialer(): ((id: string) => PeerLink | null) | null {
    const peer = this.peer;
    if (!peer || peer.disconnected) return null;
    return (id) => (peer.disconnected ? null : this.#host.dialed(peer.connect(id, { serialization: 'raw', reliable: true })));
  }

  /**
   * On a fallback broker, every so often (with backoff) look whether a preferred one is back:
   * joiners try the list in order, so the room must live on the first broker that answers.
   */
  async probe(): Promise<void> {
    if (this.#index === 0 || this.#probing || this.#reconnecting || Date.now() < this.#probeAt) return;
    this.#probing = true;
    try {
      if (await this.#moveTo(this.#index)) this.#probeFailures = 0;
      // Every 4 s, then every 8 s (±25 %): a probe is one WebSocket, and the room should not
      // stay split across brokers for long.
      else this.#probeAt = Date.now() + backoffDelay(Math.min(3, 2 + this.#probeFailures++));
    } finally {
      this.#probing = false;
    }
  }

  /** A Peer we no longer use: off the broker now, destroyed once no link runs through it. */
  retire(peer: Peer): void {
    if (!peer.disconnected) peer.disconnect();
    this.#retired.push(peer);
    this.#prune();
  }

  /** A link closed: its relay count is kept; once the room has forgotten it, a retired Peer it ran through may go. */
  linkClosed(link: PeerLink): void {
    this.rejectedRelaysOfClosedLinks += link.rejectedRelays;
    if (!this.#closed) queueMicrotask(() => !this.#closed && this.#prune());
  }

  /**
   * Sends a signalling message to a linked participant through the broker, for a link whose
   * path (and so its data channel) is lost. It rides a PeerJS CANDIDATE message without a
   * connection id, which the far end's PeerJS ignores and the room there reads (see
   * onMessage). Returns false when we are off the broker.
   */
  relay(link: PeerLink, payload: RelayPayload): boolean {
    const peer = this.peer;
    if (!peer || peer.disconnected || !link.remoteId) return false;
    peer.socket.send({ type: 'CANDIDATE', dst: link.remoteId, payload });
    // A link lost its path: ours to the broker may have gone with it.
    this.#checkSocket();
    return true;
  }

  /**
   * Sends ourselves a message through the broker (a stock PeerServer relays a message to its
   * own sender like any other): no echo within BROKER_ECHO_TIMEOUT_MS, and our socket is dead
   * though still open. We then put our id back on a new socket (see #lost). One echo at a
   * time; none while we are off the broker.
   */
  #checkSocket(): void {
    const peer = this.peer;
    if (!peer || peer.disconnected || this.#reconnecting || this.#echo) return;
    const nonce = (this.#echo = sendEcho(peer, this.#host.id));
    this.#timers.later(BROKER_ECHO_TIMEOUT_MS, () => {
      if (this.#echo !== nonce) return;
      this.#echo = null;
      if (this.peer === peer) this.#lost(true);
    });
  }

  /** Leaving: every Peer (and `holder`, the rendezvous id's) off the broker now; returns them to destroy once the goodbyes are through. */
  close(holder: Peer | null): Peer[] {
    this.#closed = true;
    this.#timers.clear();
    const peers = [this.peer, holder, ...this.#retired].filter((p): p is Peer => p !== null);
    this.peer = null;
    // Off the broker at once (the rendezvous id is free for the others to take); the links
    // stay up until the goodbyes are through, since destroying a Peer closes its connections.
    for (const peer of peers) peer.disconnect();
    return peers;
  }

  async #openOwn(broker: BrokerConfig): Promise<Peer> {
    const result = await openPeer(this.#host.id, broker, this.#host.rtcConfig(), this.#token(broker, this.#host.id), this.#host.prepareOffer);
    // A random 128-bit id cannot be taken unless the broker is hostile; treat it as unreachable.
    if (!('peer' in result)) throw new RoomError(ERROR_CODES.brokerUnreachable, 'the broker refused our id');
    const peer = result.peer;
    peer.on('connection', (conn) => this.#host.accept(conn));
    peer.socket.on('message', (data: unknown) => this.#onMessage(data));
    // Established calls are peer to peer and go on; the broker is only needed by newcomers.
    peer.on('disconnected', () => this.peer === peer && this.#lost());
    peer.on('error', (error) => {
      if (error.type === 'peer-unavailable') {
        const id = /(vr-[0-9a-f]{32})/.exec(error.message)?.[1];
        if (id) this.#mesh.abandonDial(id);
        // Or a probe of a silent link's peer expired: the peer is off the broker.
        if (id) this.#mesh.links.get(id)?.peerGone();
      }
    });
    return peer;
  }

  /** Our token for `id` on `broker`: made on first use, kept for this join. */
  #token(broker: BrokerConfig, id: string): string {
    const key = `${brokerUrl(broker)} ${id}`;
    let token = this.#tokens.get(key);
    if (!token) this.#tokens.set(key, (token = randomParticipantId()));
    return token;
  }

  /** A message from the broker: a linked participant's relayed signalling goes to its link. */
  #onMessage(data: unknown): void {
    if (typeof data !== 'object' || data === null) return;
    const { type, src, payload } = data as { type?: unknown; src?: unknown; payload?: unknown };
    if (type !== 'CANDIDATE' || typeof src !== 'string' || typeof payload !== 'object' || payload === null) return;
    if ((payload as { connectionId?: unknown }).connectionId !== undefined) return;
    // Our echo (see #checkSocket): the socket works. The broker could fake one; it could as well
    // hold back every message, which no echo tells.
    if (src === this.#host.id) {
      if (this.#echo !== null && (payload as { echo?: unknown }).echo === this.#echo) this.#echo = null;
      return;
    }
    // Only the participant's own link takes it, and only if its MAC checks (see relay-auth.ts).
    this.#mesh.links.get(src)?.receiveRelayed(payload);
  }

  /**
   * Our own id fell off the broker (it restarted, or the network to it went). The calls go on
   * peer to peer; we put our id back with exponential backoff, on the first broker of the list
   * that answers. A new Peer each time, under the same id and that broker's token: PeerJS's own `reconnect()`
   * has been seen to fail silently (peers/peerjs#1289). `stale`: the socket is open but dead
   * (no echo); the broker hands our id to the new one (the token), and the old Peer is retired.
   */
  #lost(stale = false): void {
    if (!this.#inRoom() || this.#reconnecting) return;
    this.#reconnecting = true;
    this.#failures = 0;
    if (stale) this.#host.stale();
    this.#host.changed(false, brokerUrl(this.broker), false);
    this.#scheduleReconnect();
  }

  /**
   * Whether we are in the room or on our way in: our id must be on a broker from the moment it
   * first is. A Peer that fell off while the join was still linking to the rendezvous holder
   * (seconds on a loaded machine) was left off for good, and nobody could dial us again.
   */
  #inRoom(): boolean {
    const state = this.#host.state();
    return !this.#closed && (state === 'joining' || state === 'joined');
  }

  #scheduleReconnect(): void {
    this.#timers.later(backoffDelay(this.#failures), () => void this.#reconnect());
  }

  async #reconnect(): Promise<void> {
    if (!this.#inRoom()) return;
    if (await this.#moveTo(this.#host.brokers.length)) return;
    this.#failures++;
    this.#scheduleReconnect();
  }

  /**
   * Puts our own id on the first broker, among the first `count` of the list, that answers, and
   * moves there. Resolves whether one did.
   */
  async #moveTo(count: number): Promise<boolean> {
    for (const [index, broker] of this.#host.brokers.slice(0, count).entries()) {
      const peer = await this.#openOwn(broker).catch(() => null);
      if (!this.#inRoom()) {
        peer?.destroy();
        return false;
      }
      if (!peer) continue;
      const old = this.peer;
      this.peer = peer;
      // The old Peer still carries the links made through it; it goes when they have all closed.
      if (old) this.retire(old);
      const moved = index !== this.#index;
      this.#index = index;
      this.#reconnecting = false;
      this.#host.changed(true, brokerUrl(broker), moved);
      return true;
    }
    return false;
  }

  /** Destroys retired Peers that carry no link any more. */
  #prune(): void {
    const live = new Set(this.#mesh.all.map((link) => link.conn.provider));
    for (const [index, peer] of [...this.#retired.entries()].reverse()) {
      if (live.has(peer)) continue;
      this.#retired.splice(index, 1);
      peer.destroy();
    }
  }
}
