// Short-lived STUN and TURN credentials for the element (the TURN REST API's scheme, which coturn
// checks with use-auth-secret): the username is the expiry time, the password an HMAC of it
// under the shared secret. Served at /peerjs/video-room/ice-servers, under the broker's own path,
// so a proxy that forwards the broker forwards this too.
import { createHmac } from 'node:crypto';

/** Where the element asks, relative to the server's root (the broker lives at /peerjs). */
export const ICE_SERVERS_PATH = '/peerjs/video-room/ice-servers';

/**
 * One credential valid for `ttlSeconds` from `now` (ms): `{ username, credential }`.
 * @param {string} secret @param {number} ttlSeconds @param {number} [now]
 */
export function turnCredential(secret, ttlSeconds, now = Date.now()) {
  const username = `${Math.floor(now / 1000) + ttlSeconds}:video-room`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/**
 * The URLs of one TURN service on `host`: STUN, and TURN over UDP and over TCP (for networks
 * that let no UDP out).
 * @param {string} host @param {number} port
 */
export function turnUrls(host, port) {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return [`stun:${h}:${port}`, `turn:${h}:${port}?transport=udp`, `turn:${h}:${port}?transport=tcp`];
}

/**
 * The host name the browser used to reach this server (the Host header without its port), for
 * TURN URLs when none is configured; null when it is missing or not a plain host name.
 * @param {string | undefined} header
 */
export function requestHost(header) {
  if (!header) return null;
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d+)?$/.exec(header.trim());
  return match ? match[1].replace(/^\[|\]$/g, '') : null;
}

/**
 * The express handler of ICE_SERVERS_PATH. `turn` is null when there is no TURN service: the
 * element then gets an empty list (host candidates only), as from a stock PeerServer.
 * @param {{ secret: string, ttlSeconds: number, urls?: string[], port?: number, host?: string } | null} turn
 * @returns {import('express').RequestHandler}
 */
export function iceServersHandler(turn) {
  return (req, res) => {
    res.set('Cache-Control', 'no-store');
    // Any page may embed the element; the credentials are what any visitor of it gets.
    res.set('Access-Control-Allow-Origin', '*');
    if (!turn) return res.json({ iceServers: [], ttl: 0 });
    const host = turn.host ?? requestHost(req.headers.host);
    const urls = turn.urls ?? (host && turn.port ? turnUrls(host, turn.port) : null);
    if (!urls) return res.status(400).json({ error: 'no usable Host header' });
    res.json({ iceServers: [{ urls, ...turnCredential(turn.secret, turn.ttlSeconds) }], ttl: turn.ttlSeconds });
  };
}
