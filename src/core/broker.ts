/**
 * Talking to a stock PeerServer through PeerJS: where it is, and opening a Peer under an id.
 */
import { Peer, type PeerError, type PeerOptions } from 'peerjs';

/** Where the PeerServer is, in the form PeerJS wants it. */
export interface BrokerConfig {
  host: string;
  port: number;
  path: string;
  secure: boolean;
  key: string;
}

/** How long to wait for the broker to accept an id before giving up. */
export const BROKER_OPEN_TIMEOUT_MS = 10_000;

/** The first wait before trying a lost broker again; it doubles with each failure. */
export const BROKER_RETRY_MIN_MS = 1_000;
/** The longest wait between tries. */
export const BROKER_RETRY_MAX_MS = 30_000;

/**
 * How long to wait before the next try after `failures` failed ones: exponential, capped, with
 * ±25 % jitter so that a room's members do not all come back to a restarted broker at once.
 */
export function backoffDelay(failures: number, random: () => number = Math.random): number {
  const base = Math.min(BROKER_RETRY_MAX_MS, BROKER_RETRY_MIN_MS * 2 ** Math.max(0, failures));
  return Math.round(base * (0.75 + 0.5 * random()));
}

/**
 * Parses a PeerServer URL (`https://host:port/peerjs`, or ws/wss) into PeerJS options.
 * Throws a TypeError for anything else.
 */
export function parseBrokerUrl(value: string, base?: string): BrokerConfig {
  const url = new URL(value, base);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!secure && url.protocol !== 'http:' && url.protocol !== 'ws:') throw new TypeError(`unsupported protocol ${url.protocol}`);
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return { host: url.hostname, port, path, secure, key: 'peerjs' };
}

/**
 * Parses `server`: one PeerServer URL or a comma-separated list of them, in order of preference.
 * Throws a TypeError if any is not a URL PeerJS can use, or the list is empty.
 */
export function parseBrokerUrls(value: string, base?: string): BrokerConfig[] {
  const brokers = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => parseBrokerUrl(part, base));
  if (brokers.length === 0) throw new TypeError('no server');
  return brokers;
}

/** A broker's URL, for messages and events. */
export function brokerUrl(broker: BrokerConfig): string {
  return `${broker.secure ? 'https' : 'http'}://${broker.host}:${broker.port}${broker.path}`;
}

/** Result of trying to take an id on the broker. */
export type OpenResult = { peer: Peer } | { taken: true };

/**
 * Opens a Peer under `id`. Resolves with the open peer, or `{ taken: true }` when the broker
 * says another client holds the id (PeerJS `unavailable-id`). Rejects when the broker cannot be
 * reached. With the `token` of an earlier Peer, the broker hands its id over to this one (a
 * reconnect while the broker still holds the old socket).
 */
export function openPeer(id: string, broker: BrokerConfig, config: RTCConfiguration, token?: string): Promise<OpenResult> {
  const options: PeerOptions = { ...broker, config, debug: 0, ...(token ? { token } : {}) };
  const peer = new Peer(id, options);
  return new Promise<OpenResult>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      peer.off('open', onOpen);
      peer.off('error', onError);
    };
    const onOpen = () => {
      done();
      resolve({ peer });
    };
    const onError = (error: PeerError<string>) => {
      done();
      peer.destroy();
      if (error.type === 'unavailable-id') resolve({ taken: true });
      else reject(new Error(`${error.type}: ${error.message}`));
    };
    const timer = setTimeout(() => onError({ type: 'timeout', message: 'the broker did not answer' } as PeerError<string>), BROKER_OPEN_TIMEOUT_MS);
    peer.on('open', onOpen);
    peer.on('error', onError);
  });
}
