/**
 * The mesh: one link to every other participant. Every member gossips its roster to each new
 * link, and of each pair the smaller id dials, so simultaneous joiners converge to one full mesh;
 * of two links between the same pair, both sides keep the same one; a failed dial backs off; a
 * link that stops getting anywhere before its hello is closed. The rules themselves are in
 * roster.ts; this holds the links and applies them.
 */
import type { PeerLinkEvents } from '../link/peer-link.js';
import type { PeerMessage, RosterEntry } from '../signalling/protocol.js';
import type { Clock } from './clock.js';
import { dialAllowance, newcomers, preferNewConnection, shouldDial } from './roster.js';

// Generous: a busy machine can take seconds over a handshake, and a peer that is gone is
// reported sooner by the broker's EXPIRE (PeerJS peer-unavailable, after 5 s).
export const DIAL_TIMEOUT_MS = 15_000;
/** A link still getting somewhere after this many DIAL_TIMEOUT_MS periods without a hello is closed. */
export const MAX_DIAL_PERIODS = 4;
/** A participant gossiped to us that should have dialed us but has not, gets dialed after this. */
export const DIAL_FALLBACK_MS = 4_000;

/** A participant's introduction: the first message on a link. */
export type Hello = Extract<PeerMessage, { t: 'hello' }>;

/** The events of a link the mesh listens to. */
export type MeshLinkEvents = Pick<PeerLinkEvents, 'open' | 'message' | 'close'>;

/** What the mesh needs of a link: a PeerLink, or a test's fake. */
export interface MeshLink {
  /** The remote participant id, once its hello has arrived. */
  remoteId: string | null;
  /** Whether this side dialed. */
  readonly outgoing: boolean;
  /** The connection; `peer` is the far end's id as the broker vouches for it. */
  readonly conn: { readonly peer: string };
  /** Whether the channel is open. */
  readonly open: boolean;
  /** How far the handshake has got; only grows (see PeerLink.progress). */
  readonly progress: number;
  /** Whether our own side is still making its offer or answer (see PeerLink.settling). */
  readonly settling: boolean;
  /** Sends a message, if the link may (see PeerLink.send). */
  send(message: PeerMessage): void;
  /** Sends a last message and closes. */
  leave(message?: PeerMessage): void;
  /** Closes the link (idempotent); `close` follows. */
  close(): void;
  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof MeshLinkEvents>(type: K, listener: (detail: MeshLinkEvents[K]) => void): () => void;
}

/** What the mesh needs of the room around it. */
export interface MeshHost<L extends MeshLink> {
  /** Our participant id. */
  readonly id: string;
  /** Most participants in the room, ourselves included. */
  readonly maxParticipants: number;
  /** The room's rendezvous id: a dial to it reaches whoever holds it, who may name itself. */
  rendezvousId(): string;
  /** Dials `id` through the broker: the new link (already added), or null while off the broker. */
  connect(id: string): L | null;
  /** Our hello as it goes out now. */
  hello(): PeerMessage;
  /** The roster we gossip: the participants we are linked to, and ourselves. */
  roster(): RosterEntry[];
  /** `link` said hello: it carries participant `hello.id` from now on (a link it replaces is still open). */
  introduced(link: L, hello: Hello): void;
  /** Then: a new participant, or (`replaced`) the same one on a better link, the old one closed. */
  linked(link: L, hello: Hello, replaced: boolean): void;
  /** Any other message (state, chat, frame keys), from any link. */
  message(link: L, message: PeerMessage): void;
  /** A link closed, introduced or not (also while leaving). */
  dropped(link: L): void;
  /** The link of participant `id` closed: they are gone. */
  left(id: string, detail: PeerLinkEvents['close']): void;
}

/** The links of one join, and the rules that complete them to a full mesh. */
export class Mesh<L extends MeshLink> {
  /** The link of each participant, by id. */
  readonly links = new Map<string, L>();
  /** Links not introduced yet (no hello). */
  readonly pending = new Set<L>();
  /** Ids we dialed that have not said hello yet. */
  readonly dialing = new Set<string>();
  /** Ids that said goodbye: never dialed nor accepted again in this join. */
  readonly departed = new Set<string>();
  /** Ids whose last dial failed, and when they may be dialed again (doubling each time). */
  readonly dialBackoff = new Map<string, { failures: number; until: number }>();
  /** Links the far side refused because the room is full. */
  readonly refused = new WeakSet<L>();
  #closed = false;

  readonly #host: MeshHost<L>;
  readonly #clock: Clock;

  constructor(host: MeshHost<L>, clock: Clock) {
    this.#host = host;
    this.#clock = clock;
  }

  /** Every link, introduced or not. */
  get all(): L[] {
    return [...this.links.values(), ...this.pending];
  }

  /** Whether `link` is the current link of its participant. */
  isCurrent(link: L): boolean {
    return !!link.remoteId && this.links.get(link.remoteId) === link;
  }

  /** Takes a new link, dialed or accepted, until it is introduced or closes. */
  add(link: L): void {
    this.pending.add(link);
    // The dialer introduces itself; the answerer answers with its own hello only once it has
    // accepted the dialer (or with `full`), so a hello always means "you are in".
    if (link.outgoing) link.on('open', () => link.send(this.#host.hello()));
    link.on('message', (message) => this.#onMessage(link, message));
    link.on('close', (detail) => this.#onClosed(link, detail));
  }

  /**
   * Closes `link` if it is not introduced (no hello) and has stopped getting anywhere. Slow is not
   * dead: on a saturated machine a handshake can take longer than DIAL_TIMEOUT_MS, and one thrown
   * away is started again from nothing, slower still, so a room under load never closed its mesh.
   * A link that made progress in a period (ICE checking or connected, the channel open, messages
   * arriving: see PeerLink.progress) gets another, up to MAX_DIAL_PERIODS, and so does one whose
   * own side is still making its offer or answer (that wait is ours); one that made none is
   * closed, and so is one that never gets introduced (a peer that keeps a channel alive without
   * saying hello holds no slot for long).
   */
  closeUnlessIntroduced(link: L): void {
    let progress = link.progress;
    let periods = 0;
    const check = () => {
      if (link.remoteId) return;
      const now = link.progress;
      if ((now > progress || link.settling) && ++periods < MAX_DIAL_PERIODS) {
        progress = now;
        timer = this.#clock.setTimeout(check, DIAL_TIMEOUT_MS);
      } else link.close();
    };
    let timer = this.#clock.setTimeout(check, DIAL_TIMEOUT_MS);
    link.on('close', () => this.#clock.clearTimeout(timer));
    link.on('message', (m) => m.t === 'hello' && this.#clock.clearTimeout(timer));
  }

  /** Dials participant `id`, unless linked, dialing, gone, backing off, full or dialed by them. */
  dial(id: string): void {
    if (this.#closed || this.dialing.has(id) || this.links.has(id) || this.departed.has(id)) return;
    if ((this.dialBackoff.get(id)?.until ?? 0) > this.#clock.now()) return;
    if (dialAllowance(this.#host.maxParticipants, this.links.size, this.dialing.size) === 0) return;
    // They are dialing us: a dial of ours would only cross theirs (two handshakes on a loaded
    // machine, one of them thrown away). If theirs fails, the next roster brings us back here.
    for (const link of this.pending) if (!link.outgoing && link.conn.peer === id) return;
    const link = this.#host.connect(id);
    if (!link) return;
    this.dialing.add(id);
    this.closeUnlessIntroduced(link);
  }

  /** The broker says `id` is not there: its dials close (and back off). */
  abandonDial(id: string): void {
    for (const link of this.pending) if (link.conn.peer === id) link.close();
  }

  /** Sends `message` to every participant. */
  broadcast(message: PeerMessage): void {
    for (const link of this.links.values()) link.send(message);
  }

  /**
   * Sends `message` to every participant, and to those we dialed that have not answered yet: our
   * hello to them may have gone out before this change.
   */
  announce(message: PeerMessage): void {
    this.broadcast(message);
    for (const link of this.pending) if (link.outgoing) link.send(message);
  }

  /** Sends the whole roster to every link, so each newcomer and each member learns of the others. */
  gossip(): void {
    this.broadcast({ t: 'roster', peers: this.#host.roster() });
  }

  /** Leaving: a goodbye on every link, the rest closed. Resolves once the goodbyes are through. */
  close(): Promise<unknown> {
    this.#closed = true;
    const goodbyes = [...this.links.values()].map(
      (link) =>
        new Promise((resolve) => {
          link.on('close', resolve);
          link.leave();
        }),
    );
    for (const link of [...this.pending]) link.close();
    this.links.clear();
    this.pending.clear();
    this.dialing.clear();
    return Promise.all(goodbyes);
  }

  #onMessage(link: L, message: PeerMessage): void {
    if (message.t === 'hello') this.#onHello(link, message);
    else if (message.t === 'roster') {
      if (this.isCurrent(link)) this.#onRoster(message.peers);
    } else if (message.t === 'full') {
      this.refused.add(link);
      link.close();
    } else this.#host.message(link, message);
  }

  #onHello(link: L, hello: Hello): void {
    if (link.remoteId) return;
    const self = this.#host.id;
    const viaRendezvous = link.outgoing && link.conn.peer === this.#host.rendezvousId();
    // The broker vouches for conn.peer; only the holder of the rendezvous id may name itself.
    if ((!viaRendezvous && hello.id !== link.conn.peer) || hello.id === self || this.departed.has(hello.id)) {
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
      const existingDialer = existing.outgoing ? self : hello.id;
      const newDialer = link.outgoing ? self : hello.id;
      if (!preferNewConnection(existingDialer, newDialer)) {
        link.close();
        return;
      }
    } else if (this.links.size + 1 >= this.#host.maxParticipants) {
      link.leave({ t: 'full' });
      return;
    }
    link.remoteId = hello.id;
    if (!link.outgoing) link.send(this.#host.hello());
    this.pending.delete(link);
    this.dialing.delete(hello.id);
    this.dialBackoff.delete(hello.id);
    this.links.set(hello.id, link);
    this.#host.introduced(link, hello);
    // Same participant, better connection: the old one goes, without a leave/join flicker.
    existing?.close();
    this.#host.linked(link, hello, !!existing);
    if (!existing) this.gossip();
  }

  #onRoster(entries: RosterEntry[]): void {
    const known = new Set([...this.links.keys(), ...this.dialing]);
    // Entries beyond a full room are ignored (dial checks again when a fallback timer fires).
    const allowance = dialAllowance(this.#host.maxParticipants, this.links.size, this.dialing.size);
    for (const entry of newcomers(entries, this.#host.id, known, this.departed).slice(0, allowance)) {
      if (shouldDial(this.#host.id, entry.id)) this.dial(entry.id);
      else this.#clock.later(DIAL_FALLBACK_MS, () => !this.links.has(entry.id) && this.dial(entry.id));
    }
  }

  #onClosed(link: L, detail: PeerLinkEvents['close']): void {
    this.pending.delete(link);
    this.#host.dropped(link);
    // Our own leave is not the peers' leave: no departures, no dials.
    if (this.#closed) return;
    const id = link.remoteId;
    if (!id || this.links.get(id) !== link) {
      if (!link.remoteId && link.outgoing) this.#noteDialFailed(link.conn.peer);
      return;
    }
    this.links.delete(id);
    // Only a goodbye keeps the id from being dialed again.
    if (detail.bye) this.departed.add(id);
    this.#host.left(id, detail);
  }

  #noteDialFailed(id: string): void {
    if (!this.dialing.delete(id)) return;
    const failures = (this.dialBackoff.get(id)?.failures ?? 0) + 1;
    this.dialBackoff.set(id, { failures, until: this.#clock.now() + Math.min(60_000, 2_000 * 2 ** (failures - 1)) });
  }
}
