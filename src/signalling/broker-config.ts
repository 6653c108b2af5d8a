/**
 * Where the PeerServers are: `server` parsed into what PeerJS wants. Apart from broker.ts so that
 * the element can check `server` without loading PeerJS.
 */

/** Where the PeerServer is, in the form PeerJS wants it. */
export interface BrokerConfig {
  host: string;
  port: number;
  path: string;
  secure: boolean;
  key: string;
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

