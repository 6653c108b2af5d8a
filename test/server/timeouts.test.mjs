// The tuned PeerServer timeouts: a client that stops heartbeating is dropped and its id freed
// within alive_timeout (+ the stock 300 ms check); queued messages expire promptly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { DEFAULT_PEER_OPTIONS, startServer } from '../../server/app.mjs';
import { openClient, openSilentClient } from './peer-client.mjs';

/** The stock PeerServer checks heartbeats this often (not configurable). */
const CHECK_INTERVAL_MS = 300;

test('the defaults are the tuned ones', async () => {
  assert.deepEqual({ ...DEFAULT_PEER_OPTIONS }, { alive_timeout: 15_000, expire_timeout: 5_000, cleanup_out_msgs: 250, concurrent_limit: 5_000 });
  const server = await startServer({ port: 0, host: '127.0.0.1' });
  try {
    assert.equal(server.peerOptions.alive_timeout, 15_000);
    assert.equal(server.peerOptions.cleanup_out_msgs, 250);
  } finally {
    await server.close();
  }
});

test('a client that stops heartbeating is dropped and its id freed within alive_timeout', async (t) => {
  const aliveTimeout = 1_000;
  const server = await startServer({ port: 0, host: '127.0.0.1', drainTimeoutMs: 500, peerOptions: { alive_timeout: aliveTimeout } });
  /** @type {NodeJS.Timeout | undefined} */
  let beating;
  try {
    // Its socket stays open and never answers: only the missing heartbeats give it away.
    const dead = await openSilentClient(server.port);
    const openedAt = performance.now();
    // A live client heartbeats as peerjs does (every 5 s there; faster here, to fit the short timeout).
    const live = await openClient(server.port);
    live.heartbeat();
    beating = setInterval(() => live.heartbeat(), aliveTimeout / 4);

    const [client] = await once(server.peerServer, 'disconnect', { signal: AbortSignal.timeout(aliveTimeout * 5) });
    const freedMs = performance.now() - openedAt;
    assert.equal(client.getId(), dead.id);
    assert.ok(freedMs >= aliveTimeout - 50, `dropped after ${freedMs} ms`);
    assert.ok(freedMs <= aliveTimeout + CHECK_INTERVAL_MS + 500, `dropped after ${freedMs} ms`);

    // The id is free: someone else (another token) gets it, and the live client reaches them.
    const successor = await openClient(server.port, { id: dead.id });
    live.offer(successor.id, 500, 'dc_after');
    assert.equal((await successor.next((m) => m.payload?.connectionId === 'dc_after')).src, live.id);
    t.diagnostic(`dead client freed after ${(freedMs / 1000).toFixed(2)} s (alive_timeout ${aliveTimeout / 1000} s); a heartbeating one stayed`);
    await Promise.all([live.close(), successor.close()]);
  } finally {
    clearInterval(beating);
    await server.close();
  }
});

test('an OFFER to nobody comes back as EXPIRE within expire_timeout + cleanup_out_msgs', async (t) => {
  const expireTimeout = 1_000;
  const server = await startServer({ port: 0, host: '127.0.0.1', peerOptions: { expire_timeout: expireTimeout } });
  try {
    const a = await openClient(server.port);
    const sentAt = performance.now();
    a.offer('t-nobody');
    const expire = await a.next((m) => m.type === 'EXPIRE', expireTimeout * 5);
    const ms = performance.now() - sentAt;
    assert.equal(expire.src, 't-nobody');
    assert.ok(ms >= expireTimeout - 50 && ms <= expireTimeout + DEFAULT_PEER_OPTIONS.cleanup_out_msgs + 250, `EXPIRE after ${ms} ms`);
    t.diagnostic(`EXPIRE after ${(ms / 1000).toFixed(2)} s (expire_timeout ${expireTimeout / 1000} s, checked every ${DEFAULT_PEER_OPTIONS.cleanup_out_msgs} ms)`);
    await a.close();
  } finally {
    await server.close();
  }
});
