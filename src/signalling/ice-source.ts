/**
 * STUN and TURN when the page names none: the element asks the server its broker runs on (`npm
 * start` answers at `<broker path>video-room/ice-servers` with short-lived TURN credentials) and
 * asks again before they expire. A stock PeerServer has no such endpoint: the call then has host
 * candidates only, as documented. Nothing secret goes to the server: the request has no body,
 * no query and no credentials.
 */
import type { BrokerConfig } from './broker-config.js';
import { toIceServers } from './ice-servers.js';
import { Timers } from '../util/timers.js';
import { isMediaServerUrl } from '../room/sfu-mode.js';

/** Fresh STUN and TURN credentials for a connection's next ICE restart (the paths in use keep theirs). */
export function applyIceServers(pc: RTCPeerConnection | null, iceServers: RTCIceServer[]): void {
  if (!pc || pc.signalingState === 'closed') return;
  try {
    pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
  } catch {
    // A browser that refuses a new configuration keeps the old one: only a later restart may miss a relay.
  }
}

/** What the server hands out: the servers, and for how many seconds their credentials hold (0: no expiry). */
export interface IceGrant {
  readonly iceServers: RTCIceServer[];
  readonly ttl: number;
  /** The server's media servers (Janus WebSocket URLs), for rooms that outgrow the mesh. */
  readonly mediaServers: string[];
}

/** Most media servers taken from one answer. */
const MAX_MEDIA_SERVERS = 16;



/** Where a broker's server hands out ICE servers. */
export function iceServersUrl(broker: BrokerConfig): string {
  return `${broker.secure ? 'https' : 'http'}://${broker.host}:${broker.port}${broker.path}video-room/ice-servers`;
}

/** Validates a server's answer: null when it is not a grant. */
export function parseIceGrant(data: unknown): IceGrant | null {
  if (typeof data !== 'object' || data === null) return null;
  const { iceServers, ttl, mediaServers } = data as Record<string, unknown>;
  const servers = toIceServers(iceServers);
  if (!servers || typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) return null;
  const media = Array.isArray(mediaServers) ? mediaServers.filter(isMediaServerUrl).slice(0, MAX_MEDIA_SERVERS) : [];
  return { iceServers: servers, ttl, mediaServers: media };
}

/** How long one request may take before the join goes on without it. */
export const ICE_FETCH_TIMEOUT_MS = 4_000;
/** When to ask again: this share of the credentials' lifetime (a refresh that fails is tried again). */
const REFRESH_AT = 0.8;
/** After a failed refresh, the next try. */
const RETRY_MS = 30_000;
/** After a first ask that reached no server, the next try (then doubling up to RETRY_MS). */
const FIRST_RETRY_MS = 2_000;
/** How many times a first ask that reached no server is tried again (2, 4, 8, 16 and 30 s later). */
const FIRST_RETRIES = 5;

/**
 * The ICE servers of the first broker's server that hands some out, kept fresh. `servers` is
 * empty until `ready()` resolves (and stays empty when no server hands any out).
 */
export class IceServerSource {
  servers: RTCIceServer[] = [];
  /** The media servers the server named (empty until `ready()` resolves, or when it names none). */
  mediaServers: string[] = [];
  readonly #brokers: readonly BrokerConfig[];
  readonly #fetch: typeof fetch;
  readonly #timers = new Timers();
  readonly #listeners = new Set<(servers: RTCIceServer[]) => void>();
  #first: Promise<void> | null = null;
  #closed = false;
  /** First asks that reached no server so far. */
  #unreached = 0;

  constructor(brokers: readonly BrokerConfig[], fetchImpl: typeof fetch = (input, init) => fetch(input, init)) {
    this.#brokers = brokers;
    this.#fetch = fetchImpl;
  }

  /** Resolves once the first answer is in (or none came in time); never rejects. */
  ready(): Promise<void> {
    return (this.#first ??= this.#refresh(true));
  }

  /** Calls `listener` with the new servers on every refresh; returns the unsubscribe. */
  subscribe(listener: (servers: RTCIceServer[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    this.#timers.clear();
    this.#listeners.clear();
  }

  async #refresh(first: boolean): Promise<void> {
    const grant = await this.#ask();
    if (this.#closed) return;
    if (grant === 'unreached' && first && this.#unreached < FIRST_RETRIES) {
      // No server answered in time (a slow network, a server starting): the join goes on without
      // STUN and TURN, and they are asked for again, soon, for the connections still to come.
      this.#timers.later(Math.min(RETRY_MS, FIRST_RETRY_MS * 2 ** this.#unreached++), () => void this.#refresh(true));
      return;
    }
    if (grant === 'unreached' || grant === 'none') {
      // Nothing on a first ask: a stock PeerServer. Keep what we had on a later one, and try again.
      if (!first) this.#timers.later(RETRY_MS, () => void this.#refresh(false));
      return;
    }
    const before = this.servers;
    this.servers = grant.iceServers;
    if (grant.mediaServers.length) this.mediaServers = grant.mediaServers;
    if (!first || before.length === 0) for (const listener of this.#listeners) listener(grant.iceServers);
    if (grant.ttl > 0) this.#timers.later(Math.max(5_000, grant.ttl * 1000 * REFRESH_AT), () => void this.#refresh(false));
  }

  /** The first broker's grant that has servers in it; else 'none' when a server answered without one, 'unreached' when none answered. */
  async #ask(): Promise<IceGrant | 'none' | 'unreached'> {
    let answered = false;
    for (const broker of this.#brokers) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), ICE_FETCH_TIMEOUT_MS);
      try {
        const response = await this.#fetch(iceServersUrl(broker), { signal: controller.signal, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
        answered = true;
        if (!response.ok) continue;
        const grant = parseIceGrant(await response.json());
        if (grant && (grant.iceServers.length > 0 || grant.mediaServers.length > 0)) return grant;
      } catch {
        // Unreachable, refused by CORS (both a network error to us), not JSON: this broker hands out none.
      } finally {
        clearTimeout(timer);
      }
    }
    return answered ? 'none' : 'unreached';
  }
}
