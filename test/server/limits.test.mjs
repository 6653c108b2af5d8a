// The server's limits, each against real PeerJS-protocol sockets: message size, sockets per
// address, message rate, and the PeerServer's own cap on ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { DEFAULT_LIMITS, startServer } from '../../server/app.mjs';
import { clientKey } from '../../server/limits.mjs';
import { PeerClient, openClient, within } from './peer-client.mjs';

/**
 * Starts a server with `options`, runs `body` and closes the server whatever happens.
 * @param {Parameters<typeof startServer>[0]} options
 * @param {(server: Awaited<ReturnType<typeof startServer>>) => Promise<void>} body
 */
async function withServer(options, body) {
  const server = await startServer({ port: 0, host: '127.0.0.1', drainTimeoutMs: 1_000, ...options });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/**
 * `from` sends an OFFER to `to`; resolves with what `to` received.
 * @param {PeerClient} from @param {PeerClient} to
 */
async function relays(from, to) {
  const connectionId = `dc_${Math.random().toString(36).slice(2)}`;
  from.offer(to.id, 500, connectionId);
  return to.next((m) => m.type === 'OFFER' && m.payload?.connectionId === connectionId);
}

test('the defaults are documented and sane for a browser suite on one address', () => {
  assert.deepEqual({ ...DEFAULT_LIMITS }, {
    maxMessageBytes: 65_536,
    maxConnectionsPerIp: 100,
    messagesPerSecond: 50,
    messageBurst: 250,
    trustProxy: false,
  });
});

test('an OFFER is relayed with src set to the sender', async () => {
  await withServer({}, async ({ port }) => {
    const [a, b] = await Promise.all([openClient(port), openClient(port)]);
    const received = await relays(a, b);
    assert.equal(received.src, a.id);
    assert.equal(received.dst, b.id);
    await Promise.all([a.close(), b.close()]);
  });
});

test('a message over the size limit closes that socket with 1009; others relay on', async (t) => {
  // The real default: a large OFFER passes, a message over 64 KiB does not.
  await withServer({}, async ({ port }) => {
    const [big, a, b] = await Promise.all([openClient(port), openClient(port), openClient(port)]);
    big.offer(a.id, 60_000, 'dc_large');
    const large = await a.next((m) => m.payload?.connectionId === 'dc_large');
    assert.equal(large.src, big.id);
    big.offer(a.id, DEFAULT_LIMITS.maxMessageBytes, 'dc_huge');
    const { code } = await within(big.closed, 5_000, 'the oversize socket to close');
    assert.equal(code, 1009);
    assert.equal((await relays(a, b)).src, a.id);
    assert.equal((await relays(b, a)).src, b.id);
    assert.ok(!a.messages.some((m) => m.payload?.connectionId === 'dc_huge'), 'the oversize message was relayed');
    t.diagnostic(`a 60 KB OFFER relayed; a ${DEFAULT_LIMITS.maxMessageBytes + 200} byte one closed its socket with ${code}`);
    await Promise.all([a.close(), b.close()]);
  });
});

test('the N+1th socket from one address is refused with 429 while N work', async (t) => {
  const max = 5;
  await withServer({ limits: { maxConnectionsPerIp: max } }, async ({ port, peerServer }) => {
    const clients = await Promise.all(Array.from({ length: max }, () => openClient(port)));
    const extra = new PeerClient(port);
    assert.equal(await within(extra.refused, 5_000, 'the extra socket to be refused'), 429);
    // The N that got in still relay.
    assert.equal((await relays(clients[0], clients[max - 1])).src, clients[0].id);
    // A socket that leaves frees its place.
    const gone = once(peerServer, 'disconnect', { signal: AbortSignal.timeout(5_000) });
    await clients[0].close();
    await gone;
    const next = await openClient(port);
    assert.equal((await relays(next, clients[1])).src, next.id);
    t.diagnostic(`${max} sockets from 127.0.0.1 held, the ${max + 1}th refused with HTTP 429, a place freed on close`);
    await Promise.all([...clients.slice(1), next].map((c) => c.close()));
  });
});

test('behind a trusted proxy, sockets count per X-Forwarded-For address', async () => {
  await withServer({ limits: { maxConnectionsPerIp: 1, trustProxy: true } }, async ({ port }) => {
    const via = (/** @type {string} */ address) => ({ headers: { 'X-Forwarded-For': `203.0.113.9, ${address}` } });
    const a = await openClient(port, via('198.51.100.1'));
    const b = await openClient(port, via('198.51.100.2'));
    const again = new PeerClient(port, via('198.51.100.1'));
    assert.equal(await within(again.refused, 5_000, 'a second socket from 198.51.100.1'), 429);
    await Promise.all([a.close(), b.close()]);
  });
  // Not trusted: the header is ignored, everyone is 127.0.0.1.
  await withServer({ limits: { maxConnectionsPerIp: 1 } }, async ({ port }) => {
    const a = await openClient(port, { headers: { 'X-Forwarded-For': '198.51.100.1' } });
    const b = new PeerClient(port, { headers: { 'X-Forwarded-For': '198.51.100.2' } });
    assert.equal(await within(b.refused, 5_000, 'a second socket from 127.0.0.1'), 429);
    await a.close();
  });
});

test('addresses are counted per IPv4 address and per IPv6 /64', () => {
  const key = (/** @type {string} */ remoteAddress, /** @type {Record<string, string>} */ headers = {}, trust = false) =>
    clientKey(/** @type {any} */ ({ socket: { remoteAddress }, headers }), trust);
  assert.equal(key('127.0.0.1'), '127.0.0.1');
  assert.equal(key('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(key('2001:db8:0:1:aaaa::1'), '2001:db8:0:1::/64');
  assert.equal(key('2001:db8:0:1:bbbb:cccc:dddd:eeee'), '2001:db8:0:1::/64');
  assert.equal(key('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(key('::1'), '0:0:0:0::/64');
  assert.equal(key('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(key('10.0.0.1', { 'x-forwarded-for': '192.0.2.1, 192.0.2.2' }, true), '192.0.2.2');
  assert.equal(key('10.0.0.1', { 'x-forwarded-for': '192.0.2.1' }, false), '10.0.0.1');
});

test('a flooding socket is closed with 1008 while a well-behaved one keeps relaying', async (t) => {
  const limits = { messagesPerSecond: 20, messageBurst: 40 };
  await withServer({ limits }, async ({ port }) => {
    const [flooder, sink, a, b] = await Promise.all([openClient(port), openClient(port), openClient(port), openClient(port)]);
    // a and b talk at 10 messages/s, under the limit, before, during and after the flood.
    let sent = 0;
    const steady = setInterval(() => {
      a.send({ type: 'CANDIDATE', dst: b.id, payload: { candidate: { candidate: `candidate:${sent++}` }, type: 'data', connectionId: 'dc_steady' } });
    }, 100);
    try {
      await b.next((m) => m.type === 'CANDIDATE');
      const flood = 1_000;
      for (let i = 0; i < flood; i++) flooder.send({ type: 'CANDIDATE', dst: sink.id, payload: { candidate: { candidate: `candidate:${i}` }, type: 'data', connectionId: 'dc_flood' } });
      const { code, reason } = await within(flooder.closed, 5_000, 'the flooder to be closed');
      assert.equal(code, 1008);
      assert.equal(reason, 'message rate limit');
      // The steady pair goes on after the flooder is gone.
      const before = sent;
      await b.next((m) => m.type === 'CANDIDATE' && Number(m.payload.candidate.candidate.split(':')[1]) > before + 3);
      // What got through before the cut is about the burst.
      await relays(a, sink); // everything the flooder got relayed has reached sink by now
      const relayed = sink.messages.filter((m) => m.payload?.connectionId === 'dc_flood').length;
      assert.ok(relayed >= limits.messageBurst && relayed <= limits.messageBurst + 5, `relayed ${relayed} of the flood`);
      const steadyReceived = b.messages.filter((m) => m.type === 'CANDIDATE').length;
      assert.ok(steadyReceived >= sent - 2, `steady pair: ${steadyReceived} of ${sent} arrived`);
      t.diagnostic(`flooder (${flood} messages at once) cut with 1008 after ${relayed} relayed (burst ${limits.messageBurst}); steady pair: ${steadyReceived}/${sent} delivered`);
    } finally {
      clearInterval(steady);
    }
    await Promise.all([sink.close(), a.close(), b.close()]);
  });
});

test("the PeerServer's own cap on ids (concurrent_limit) answers ERROR", async () => {
  await withServer({ peerOptions: { concurrent_limit: 2 } }, async ({ port }) => {
    const clients = await Promise.all([openClient(port), openClient(port)]);
    const third = new PeerClient(port);
    const error = await third.next((m) => m.type === 'ERROR');
    assert.equal(error.payload.msg, 'Server has reached its concurrent user limit');
    await within(third.closed, 5_000, 'the third socket to close');
    await Promise.all(clients.map((c) => c.close()));
  });
});

test('unparsable messages do not take the server down', async () => {
  await withServer({}, async ({ port }) => {
    const [a, b] = await Promise.all([openClient(port), openClient(port)]);
    a.ws.send('not json');
    a.ws.send('null');
    assert.equal((await relays(a, b)).src, a.id);
    await Promise.all([a.close(), b.close()]);
  });
});
