/**
 * The rendezvous: how newcomers find a room on a stock PeerServer. Whoever holds the room's
 * well-known id answers joiners (and the mesh's gossip introduces them to everyone else).
 * Joining, we try to take the id and, failing that, dial whoever holds it. When the holder leaves
 * or goes silent, the members race to take the id again (the broker's ID-TAKEN picks one); a
 * member that loses and sees no holder among its links dials the new holder, which merges any
 * group that formed meanwhile.
 */
import type { RoomState } from '../constants.js';
import { ERROR_CODES } from '../constants.js';
import type { Clock } from './clock.js';
import { MAX_DIAL_PERIODS, type Mesh, type MeshLink } from './mesh.js';
import { RoomError } from './room-error.js';

/** A rendezvous dial that got nowhere in this long is given up (one getting somewhere is not: see dial). */
export const RENDEZVOUS_DIAL_TIMEOUT_MS = 15_000;
/** A rendezvous dial that has got nowhere by then (not even an answer) is doubled (see dial). */
export const RENDEZVOUS_REDIAL_MS = 4_000;
/** How often a member checks that the room has a holder (see Room's tick). */
export const RENDEZVOUS_CHECK_MS = 5_000;
const RENDEZVOUS_SETTLE_MS = 1_500;
/** After the rendezvous holder failed verification, wait this long before dialing it again. */
const VERIFY_RETRY_MS = 3_000;

/** The rendezvous id as held on the broker: a PeerJS Peer, or a test's fake. */
export interface HeldId {
  /** Subscribes to the loss of the id. */
  on(event: 'disconnected' | 'close', listener: () => void): unknown;
  /** Gives the id up at once. */
  destroy(): void;
}

/** What the rendezvous needs of the broker session. */
export interface RendezvousBroker<L extends MeshLink, P extends HeldId> {
  /** Whether our own id is on a broker. */
  readonly onBroker: boolean;
  /** Takes `id` on our broker: the Peer now holding it (its connections go to the room), or null if taken. */
  open(id: string): Promise<P | null>;
  /** A Peer that held the id and is no longer used: off the broker, kept while links run through it. */
  retire(peer: P): void;
  /** What dials an id from our own Peer as it is now (null once that Peer is off the broker); null while it is off. */
  dialer(): ((id: string) => L | null) | null;
}

/** What the rendezvous needs of the room around it. */
export interface RendezvousHost<L extends MeshLink> {
  /** Whether the far end of `link` failed (or has not finished) verification. */
  unverified(link: L): boolean;
  /** We took the id (true) or lost it (false): the others are told. */
  holding(holds: boolean): void;
  /** The room's state. */
  state(): RoomState;
}

/** The rendezvous of one join: the id, whether we hold it, and who else says they do. */
export class Rendezvous<L extends MeshLink, P extends HeldId> {
  /** The room's well-known id on the broker (derived while joining). */
  id = '';
  /** Our Peer holding the id, while we hold it. */
  holder: P | null = null;
  /** Participants that say they hold the id. */
  readonly #holders = new Set<string>();
  #claiming = false;

  readonly #mesh: Pick<Mesh<L>, 'links' | 'refused'>;
  readonly #broker: RendezvousBroker<L, P>;
  readonly #host: RendezvousHost<L>;
  readonly #clock: Clock;

  constructor(mesh: Pick<Mesh<L>, 'links' | 'refused'>, broker: RendezvousBroker<L, P>, host: RendezvousHost<L>, clock: Clock) {
    this.#mesh = mesh;
    this.#broker = broker;
    this.#host = host;
    this.#clock = clock;
  }

  /**
   * Until we are in the room (`claimed`: we hold the id already): dial the holder, or take the id
   * if it is free. Rejects with `join-timeout` after `deadline`, or `room-full`; returns early if
   * the join was abandoned.
   */
  async enter(claimed: boolean, deadline: number): Promise<void> {
    let joined = claimed;
    while (!joined && this.#host.state() === 'joining') {
      if (this.#clock.now() > deadline) throw new RoomError(ERROR_CODES.joinTimeout, 'the room did not answer in time');
      joined = (await this.dial()) || (await this.claim());
    }
  }

  /** Participant `id` says it holds the id, or no longer does. */
  note(id: string, holds: boolean): void {
    if (holds) this.#holders.add(id);
    else this.#holders.delete(id);
  }

  /** Participant `id` went away; if it held the id, race the others for it (jittered to spare the broker). */
  left(id: string): void {
    if (this.#holders.delete(id) && this.#host.state() === 'joined') this.#clock.later(Math.random() * 300, () => void this.ensure());
  }

  /** The link to participant `id` went quiet: if it holds the id, see whether the id is free. */
  silent(id: string): void {
    if (this.#holders.has(id)) void this.ensure(true);
  }

  /** We no longer hold the id (lost with the broker, or left on the old one). */
  retire(peer = this.holder): void {
    if (!peer || this.holder !== peer) return;
    this.holder = null;
    // Not destroyed: that would close the links that joiners made through it.
    this.#broker.retire(peer);
    // Tell the others, so that one of them takes the id again.
    this.#host.holding(false);
  }

  /** Leaving: the Peer holding the id, if any, for the room to release. */
  close(): P | null {
    const holder = this.holder;
    this.holder = null;
    return holder;
  }

  /** Tries to take the id. Resolves true when we hold it. */
  async claim(): Promise<boolean> {
    if (this.holder) return true;
    const peer = await this.#broker.open(this.id);
    if (!peer) return false;
    const state = this.#host.state();
    if (state !== 'joining' && state !== 'joined') {
      peer.destroy();
      return false;
    }
    this.holder = peer;
    const lost = () => this.retire(peer);
    peer.on('disconnected', lost);
    peer.on('close', lost);
    this.#host.holding(true);
    return true;
  }

  /**
   * Dials the id. Resolves true once its holder said hello (we are in the room), false when
   * nobody answered in time. Rejects with `room-full`.
   *
   * A holder that has just died may still have had its id when our offer went out: the broker
   * passed the offer to a dead socket, and nobody will answer. Meanwhile the others may have
   * taken the id. So if the dial has got nowhere within RENDEZVOUS_REDIAL_MS (no answer: see
   * PeerLink.progress), the id is dialed once more, beside the first dial; whichever holder says
   * hello first wins (a live holder dialed twice keeps one connection and closes the other).
   *
   * Slow is not dead: a holder on a saturated machine can take longer than
   * RENDEZVOUS_DIAL_TIMEOUT_MS over a handshake, and a dial thrown away starts again from nothing.
   * So a dial that got somewhere in a period, or whose own offer is still being made, gets
   * another, up to MAX_DIAL_PERIODS, as the mesh's own dials do (see Mesh.closeUnlessIntroduced).
   */
  dial(): Promise<boolean> {
    // A Peer off its broker cannot dial (PeerJS returns no connection).
    const connect = this.#broker.dialer();
    if (!connect) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      const links = new Set<L>();
      const offs: (() => void)[] = [];
      let done = false;
      const finish = (value: boolean | RoomError, winner?: L) => {
        if (done) return;
        done = true;
        this.#clock.clearTimeout(timer);
        this.#clock.clearTimeout(redial);
        for (const off of offs) off();
        for (const link of links) if (link !== winner) link.close();
        if (value instanceof RoomError) reject(value);
        else resolve(value);
      };
      const attempt = () => {
        const link = connect(this.id);
        if (!link) return;
        links.add(link);
        // The mesh saw the message first: a hello it accepted has registered the link.
        offs.push(link.on('message', (m) => m.t === 'hello' && this.#mesh.links.get(m.id) === link && finish(true, link)));
        offs.push(
          link.on('close', () => {
            links.delete(link);
            if (done) return;
            if (this.#mesh.refused.has(link)) finish(new RoomError(ERROR_CODES.roomFull, 'the room is full'));
            else if (links.size > 0) return;
            // A holder that failed (or never finished) verification is dialed again, but not in a
            // tight loop. (Not a cleared timer: a leave meanwhile must still end the join loop.)
            else if (this.#host.unverified(link)) this.#clock.setTimeout(() => finish(false), VERIFY_RETRY_MS);
            else finish(false);
          }),
        );
      };
      attempt();
      const progress = () => Math.max(0, ...[...links].map((link) => link.progress));
      // Our own offer not made yet: the wait is ours (see Mesh.closeUnlessIntroduced).
      const settling = () => [...links].some((link) => link.settling);
      const redial = this.#clock.setTimeout(() => progress() > 0 || attempt(), RENDEZVOUS_REDIAL_MS);
      let reached = 0;
      let periods = 0;
      const check = () => {
        const now = progress();
        if ((now <= reached && !settling()) || ++periods >= MAX_DIAL_PERIODS) return finish(false);
        reached = now;
        timer = this.#clock.setTimeout(check, RENDEZVOUS_DIAL_TIMEOUT_MS);
      };
      let timer = this.#clock.setTimeout(check, RENDEZVOUS_DIAL_TIMEOUT_MS);
    });
  }

  /**
   * Makes sure the room has a rendezvous holder we are linked to; takes the id if it is free.
   * `holderSilent`: the holder we are linked to went quiet. If it died, the broker has freed its
   * id (a killed browser's socket closes at once) while our link to it waits for the heartbeat:
   * take the id now, or dial whoever took it, perhaps a newcomer that found the room empty. A
   * holder that is only slow still holds its id, and our dial to it is dropped as a duplicate.
   */
  async ensure(holderSilent = false): Promise<void> {
    if (this.#host.state() !== 'joined' || this.#claiming || this.holder || !this.#broker.onBroker) return;
    if (!holderSilent && this.#linked()) return;
    this.#claiming = true;
    try {
      // Someone else took it: give their announcement a moment before dialing them.
      if (!(await this.claim()) && (holderSilent || ((await this.#settle(RENDEZVOUS_SETTLE_MS)) && !this.#linked()))) await this.dial();
    } catch {
      // A full room or a broker hiccup: the heartbeat and the next check try again.
    } finally {
      this.#claiming = false;
    }
  }

  /** Whether we have an open link to a participant that says it holds the id. */
  #linked(): boolean {
    return [...this.#holders].some((id) => this.#mesh.links.get(id)?.open);
  }

  /** Waits `ms`; resolves whether we are still joined. */
  #settle(ms: number): Promise<boolean> {
    return new Promise((resolve) => this.#clock.later(ms, () => resolve(this.#host.state() === 'joined')));
  }
}
