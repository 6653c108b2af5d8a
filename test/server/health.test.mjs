// /health, and the drain that close() does: 503 while draining, 1001 for every client, bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DRAIN_TIMEOUT_MS, startServer } from '../../server/app.mjs';
import { PeerClient, openClient, openSilentClient, within } from './peer-client.mjs';

test('/health reports counts and memory, and no ids', async () => {
  const server = await startServer({ port: 0, host: '127.0.0.1' });
  try {
    const [a, b] = await Promise.all([openClient(server.port), openClient(server.port)]);
    const response = await fetch(`${server.url}/health`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const text = await response.text();
    const health = JSON.parse(text);
    assert.equal(health.ok, true);
    assert.equal(health.draining, false);
    assert.equal(health.peers, 2);
    assert.equal(health.sockets, 2);
    assert.ok(Number.isInteger(health.uptimeSeconds));
    assert.ok(health.memory.rssBytes > 0 && health.memory.heapUsedBytes > 0);
    assert.deepEqual(health.refused, { perIp: 0, draining: 0 });
    assert.deepEqual(health.closed, { rateLimit: 0, oversize: 0 });
    assert.ok(!text.includes(a.id) && !text.includes(b.id) && !text.includes('127.0.0.1'), text);
    await Promise.all([a.close(), b.close()]);
  } finally {
    await server.close();
  }
});

test('close() drains: 503 on /health and for new sockets, 1001 for clients, bounded by drainTimeoutMs', async (t) => {
  assert.equal(DEFAULT_DRAIN_TIMEOUT_MS, 5_000);
  const drainTimeoutMs = 800;
  const server = await startServer({ port: 0, host: '127.0.0.1', drainTimeoutMs });
  const polite = await openClient(server.port);
  // Never answers the close frame: keeps the drain going until the deadline.
  const silent = await openSilentClient(server.port);

  const started = performance.now();
  const closed = server.close();
  const { code, reason } = await within(polite.closed, 2_000, 'the polite client to see the close');
  const politeMs = performance.now() - started;
  assert.equal(code, 1001);
  assert.equal(reason, 'server shutting down');

  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 503);
  assert.deepEqual(await health.json().then((h) => [h.ok, h.draining]), [false, true]);
  const late = new PeerClient(server.port);
  assert.equal(await within(late.refused, 2_000, 'a new socket while draining'), 503);

  await within(closed, drainTimeoutMs + 1_000, 'close() to finish');
  const totalMs = performance.now() - started;
  await within(silent.ended, 1_000, 'the silent client to be cut');
  assert.ok(totalMs >= drainTimeoutMs - 50, `close() took ${totalMs} ms`);
  t.diagnostic(`drain: polite client saw 1001 after ${politeMs.toFixed(0)} ms; a client that never answers was cut at ${totalMs.toFixed(0)} ms (drainTimeoutMs ${drainTimeoutMs})`);
});
