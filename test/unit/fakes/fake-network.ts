/**
 * An in-memory stand-in for the broker and the links between participants, driven by a
 * FakeClock, and a participant (FakeNode) that wires the room's real Mesh and Rendezvous as
 * Room does. No browser peer connections, no PeerJS: what the mesh and rendezvous rules see of
 * the network, and nothing more.
 *
 * What it models: the broker vouches for the id a connection comes from and knows who holds
 * which id (the first claim wins); a dial to an id nobody holds gets no answer (and PeerJS's
 * peer-unavailable after 5 s); channels open after a handshake; messages arrive in order after
 * a delay; a closed channel closes at the far end too; a crashed participant's ids are free at
 * once while its links only go silent, then close (the heartbeat).
 */
import { TypedEventTarget } from '../../../src/util/typed-event-target.js';
import type { PeerLinkEvents } from '../../../src/link/peer-link.js';
import type { PeerMessage } from '../../../src/signalling/protocol.js';
import type { RoomState } from '../../../src/constants.js';
import { Mesh, type Hello } from '../../../src/room/mesh.js';
import { Rendezvous, RENDEZVOUS_CHECK_MS, type HeldId, type RendezvousBroker } from '../../../src/room/rendezvous.js';
import type { FakeClock } from './fake-clock.js';

/** Broker round trip for one signalling message. */
export const SIGNAL_MS = 20;
/** From an answered offer to an open channel. */
export const HANDSHAKE_MS = 50;
/** One data-channel message. */
export const MESSAGE_MS = 10;
/** During a handshake longer than this, each end gets somewhere this often (ICE checks, a message). */
export const PROGRESS_MS = 5_000;
/** When a link whose far end crashed reports it silent, and when it gives up (as PeerLink). */
const SILENT_MS = 2_500;
const HEARTBEAT_TIMEOUT_MS = 6_000;
/** PeerJS's peer-unavailable for a dial to an id nobody holds. */
const UNAVAILABLE_MS = 5_000;
/** The rendezvous id of the fake room. */
export const RENDEZVOUS_ID = `vr-${'f'.repeat(32)}`;

type LinkEvents = Pick<PeerLinkEvents, 'open' | 'message' | 'close' | 'silent'>;

/** One end of a fake connection. */
export class FakeLink extends TypedEventTarget<LinkEvents> {
  remoteId: string | null = null;
  open = false;
  closed = false;
  progress = 0;
  settling = false;
  /** The other end, once the far side took the connection. */
  partner: FakeLink | null = null;
  private bye = false;
  private closedByPeer = false;

  constructor(
    private readonly net: FakeNetwork,
    /** The node this end belongs to. */
    readonly owner: FakeNode,
    readonly outgoing: boolean,
    /** `peer`: the id at the far end as the broker vouches for it (for a dial: the id dialed). */
    readonly conn: { readonly peer: string },
  ) {
    super();
  }

  send(message: PeerMessage): void {
    const partner = this.partner;
    if (!this.open || this.closed || !partner || this.owner.crashed) return;
    this.net.clock.setTimeout(() => partner.receive(message), MESSAGE_MS);
  }

  leave(message: PeerMessage = { t: 'bye' }): void {
    if (this.closed) return;
    this.send(message);
    this.net.clock.setTimeout(() => this.close(), 1_000);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.emit('close', { bye: this.bye, failed: false, closedByPeer: this.closedByPeer });
    const partner = this.partner;
    // A crashed browser closes nothing: the far end finds out by the heartbeat.
    if (partner && !this.owner.crashed)
      this.net.clock.setTimeout(() => {
        if (partner.closed) return;
        partner.closedByPeer = true;
        partner.close();
      }, MESSAGE_MS);
  }

  /** The channel opened (both ends at once). */
  opened(): void {
    if (this.closed || this.open) return;
    this.open = true;
    this.progress += 2;
    this.emit('open', undefined);
  }

  /** Its far end crashed: silence, then the heartbeat gives up. */
  farEndCrashed(): void {
    const clock = this.net.clock;
    clock.setTimeout(() => !this.closed && this.emit('silent', undefined), SILENT_MS);
    clock.setTimeout(() => this.close(), HEARTBEAT_TIMEOUT_MS);
  }

  private receive(message: PeerMessage): void {
    if (this.closed || this.owner.crashed) return;
    this.progress++;
    if (message.t === 'bye') {
      this.bye = true;
      this.close();
      return;
    }
    this.emit('message', message);
  }
}

/** A rendezvous id held on the fake broker. */
export class FakeHeld extends TypedEventTarget<{ disconnected: undefined; close: undefined }> implements HeldId {
  constructor(
    private readonly net: FakeNetwork,
    readonly id: string,
  ) {
    super();
  }

  /** The broker dropped it. */
  lost(): void {
    this.emit('disconnected', undefined);
  }

  destroy(): void {
    this.net.release(this.id, this);
  }
}

/** The broker and the wires. */
export class FakeNetwork {
  /** Who holds each id: a node (its own id), or a node's FakeHeld (the rendezvous id). */
  private readonly ids = new Map<string, { node: FakeNode; held: FakeHeld | null }>();
  /** Every connection made, for tests that count them. */
  readonly dials: { from: string; to: string }[] = [];
  /** From an answered offer to an open channel; a busy machine's takes long, getting somewhere every PROGRESS_MS. */
  handshakeMs = HANDSHAKE_MS;

  constructor(readonly clock: FakeClock) {}

  /** Who holds `id` now. */
  holderOf(id: string): FakeNode | undefined {
    return this.ids.get(id)?.node;
  }

  /** Opens `node`'s own id (after a broker round trip). */
  openOwn(node: FakeNode): Promise<void> {
    return new Promise((resolve) =>
      this.clock.setTimeout(() => {
        this.ids.set(node.id, { node, held: null });
        resolve();
      }, SIGNAL_MS),
    );
  }

  /** Tries to take `id` for `node`: the held id, or null when someone holds it. */
  claim(node: FakeNode, id: string): Promise<FakeHeld | null> {
    return new Promise((resolve) =>
      this.clock.setTimeout(() => {
        if (this.ids.has(id) || node.crashed) return resolve(null);
        const held = new FakeHeld(this, id);
        this.ids.set(id, { node, held });
        resolve(held);
      }, SIGNAL_MS),
    );
  }

  /** Frees `id` (a Peer destroyed, disconnected or crashed). */
  release(id: string, held: FakeHeld | null): void {
    const entry = this.ids.get(id);
    if (!entry || entry.held !== held) return;
    this.ids.delete(id);
    held?.lost();
  }

  /** Every id `node` holds goes (its sockets closed). */
  releaseAll(node: FakeNode): void {
    for (const [id, entry] of [...this.ids]) if (entry.node === node) this.release(id, entry.held);
  }

  /** Dials `to` from `from`: the dialer's end now; the far side gets its end if someone holds `to`. */
  connect(from: FakeNode, to: string): FakeLink {
    this.dials.push({ from: from.id, to });
    const link = new FakeLink(this, from, true, { peer: to });
    this.clock.setTimeout(() => {
      const target = this.holderOf(to);
      if (!target || target.crashed) {
        this.clock.setTimeout(() => !link.closed && !link.open && from.mesh.abandonDial(to), UNAVAILABLE_MS - SIGNAL_MS);
        return;
      }
      const answer = new FakeLink(this, target, false, { peer: from.id });
      answer.partner = link;
      link.partner = answer;
      link.progress++;
      answer.progress++;
      target.accept(answer);
      for (let at = PROGRESS_MS; at < this.handshakeMs; at += PROGRESS_MS)
        this.clock.setTimeout(() => {
          link.progress++;
          answer.progress++;
        }, at);
      this.clock.setTimeout(() => {
        if (link.closed || answer.closed) return;
        link.opened();
        answer.opened();
      }, this.handshakeMs);
    }, SIGNAL_MS);
    return link;
  }
}

/** A participant: the real Mesh and Rendezvous, wired as Room wires them, over fake links. */
export class FakeNode implements RendezvousBroker<FakeLink, FakeHeld> {
  state: RoomState = 'idle';
  crashed = false;
  readonly mesh: Mesh<FakeLink>;
  readonly rendezvous: Rendezvous<FakeLink, FakeHeld>;
  /** Whether our own id is on the broker. */
  onBroker = false;
  /** When the periodic check last ran. */
  lastTick = 0;
  private ticking = false;

  constructor(
    private readonly net: FakeNetwork,
    readonly id: string,
    maxParticipants = 8,
  ) {
    const clock = net.clock;
    this.mesh = new Mesh<FakeLink>(
      {
        id,
        maxParticipants,
        rendezvousId: () => this.rendezvous.id,
        connect: (to) => this.dialer()?.(to) ?? null,
        hello: () => ({ t: 'hello', id, ...this.wireState() }),
        roster: () => [...[...this.mesh.links.keys()].map((p) => ({ id: p, name: p })), { id, name: id }],
        introduced: (_link, hello: Hello) => this.rendezvous.note(hello.id, hello.rendezvous),
        linked: () => undefined,
        message: (link, message) => {
          if (message.t === 'state' && this.mesh.isCurrent(link)) this.rendezvous.note(link.remoteId!, message.rendezvous);
        },
        dropped: () => undefined,
        left: (peer) => this.rendezvous.left(peer),
      },
      clock,
    );
    this.rendezvous = new Rendezvous<FakeLink, FakeHeld>(
      this.mesh,
      this,
      {
        unverified: () => false,
        holding: () => this.mesh.announce({ t: 'state', ...this.wireState() }),
        state: () => this.state,
      },
      clock,
    );
  }

  /** The participants we are linked to, by id, sorted. */
  get linked(): string[] {
    return [...this.mesh.links.keys()].sort();
  }

  /** Whether we hold the rendezvous id. */
  get holds(): boolean {
    return this.rendezvous.holder !== null;
  }

  /** Joins as Room.join does: our id and a claim at once, then dial the holder or claim until in. */
  async join(timeoutMs = 30_000): Promise<void> {
    this.state = 'joining';
    this.rendezvous.id = RENDEZVOUS_ID;
    const deadline = this.net.clock.now() + timeoutMs;
    const [, claimed] = await Promise.all([this.net.openOwn(this).then(() => (this.onBroker = true)), this.rendezvous.claim()]);
    await this.rendezvous.enter(claimed, deadline);
    if (this.state !== 'joining') return;
    this.state = 'joined';
    this.ticking = true;
    this.tick();
  }

  /** Puts our own id on the broker and counts as joined, without the rendezvous (for mesh-only tests). */
  async online(): Promise<void> {
    this.state = 'joined';
    await this.net.openOwn(this);
    this.onBroker = true;
  }

  /** Leaves as Room does: off the broker at once, a goodbye on every link. */
  leave(): void {
    this.state = 'left';
    this.ticking = false;
    this.onBroker = false;
    this.rendezvous.close();
    this.net.releaseAll(this);
    void this.mesh.close();
  }

  /** The browser is killed: its ids are free at once, its links just go quiet. */
  crash(): void {
    this.crashed = true;
    this.ticking = false;
    this.state = 'left';
    this.net.releaseAll(this);
    for (const link of this.mesh.all) link.partner?.farEndCrashed();
  }

  /** An incoming connection, as Room.accept takes it. */
  accept(link: FakeLink): void {
    if ((this.state !== 'joining' && this.state !== 'joined') || this.mesh.departed.has(link.conn.peer)) {
      link.close();
      return;
    }
    this.startLink(link);
    this.mesh.closeUnlessIntroduced(link);
  }

  private startLink(link: FakeLink): FakeLink {
    this.mesh.add(link);
    link.on('silent', () => link.remoteId && this.rendezvous.silent(link.remoteId));
    return link;
  }

  /** The broker session's part (RendezvousBroker): the rendezvous id on the broker. */
  open(id: string): Promise<FakeHeld | null> {
    return this.net.claim(this, id);
  }

  retire(held: FakeHeld): void {
    held.destroy();
  }

  dialer(): ((to: string) => FakeLink | null) | null {
    if (!this.onBroker || this.crashed) return null;
    return (to) => (this.onBroker ? this.startLink(this.net.connect(this, to)) : null);
  }

  private wireState(): Omit<Extract<PeerMessage, { t: 'state' }>, 't'> {
    return { name: this.id, audioMuted: false, videoMuted: false, screenSharing: false, rendezvous: this.holds };
  }

  /** Room's tick: a holder for the room, and the roster again. */
  private tick(): void {
    if (!this.ticking) return;
    this.lastTick = this.net.clock.now();
    void this.rendezvous.ensure();
    if (this.mesh.links.size > 0) this.mesh.gossip();
    this.net.clock.setTimeout(() => this.tick(), RENDEZVOUS_CHECK_MS);
  }
}
