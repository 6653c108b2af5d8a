// The media server: Debian's Janus as startJanus configures it (VideoRoom only, string ids,
// end-to-end encrypted rooms), the proxy browsers reach it through, and what `npm start` and
// the ICE servers endpoint say about it. Skipped, with the reason, where Janus is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { startServer } from '../../server/app.mjs';
import { ICE_SERVERS_PATH, mediaServerUrls } from '../../server/ice-credentials.mjs';
import { DEFAULT_JANUS, DEBIAN_LIBRARIES, hasJanus, janusConfig } from '../../server/janus.mjs';
import { MEDIA_PATH, refusal } from '../../server/janus-proxy.mjs';
import { DEFAULT_TURN } from '../../server/turn.mjs';
import { JanusClient, freeTcpPort, publisherOffer, startTestJanus } from './janus-client.mjs';
import { PeerClient, within } from './peer-client.mjs';
import { entry, startProcess } from './server-process.mjs';

const skip = hasJanus() ? false : 'janus is not installed (apt-get install janus; scripts/test.sh does)';

/** The value of `key` in group `group` of a .jcfg text, as written. @param {string} text @param {string} group @param {string} key */
function setting(text, group, key) {
  const body = new RegExp(`^${group}: \\{\\n([^}]*)\\n\\}`, 'm').exec(text)?.[1] ?? '';
  return new RegExp(`^\\t${key} = (.*)$`, 'm').exec(body)?.[1];
}

test('janusConfig: only VideoRoom and WebSockets, the port range, string ids, no admin key or secret', () => {
  const files = janusConfig({ dir: '/tmp/vr-janus-x', libDir: '/usr/lib/x86_64-linux-gnu/janus', wsPort: 8188, wsIp: '127.0.0.1', rtpMinPort: 20000, rtpMaxPort: 20999 });
  assert.deepEqual(Object.keys(files).sort(), ['janus.jcfg', 'janus.plugin.videoroom.jcfg', 'janus.transport.websockets.jcfg']);
  const core = files['janus.jcfg'];
  assert.equal(setting(core, 'general', 'configs_folder'), '"/tmp/vr-janus-x"');
  assert.equal(setting(core, 'general', 'plugins_folder'), '"/usr/lib/x86_64-linux-gnu/janus/plugins"');
  assert.equal(setting(core, 'general', 'session_timeout'), '60');
  assert.equal(setting(core, 'media', 'rtp_port_range'), '"20000-20999"');
  const disabled = (/** @type {string} */ group) => JSON.parse(setting(core, group, 'disable') ?? '""').split(',');
  assert.deepEqual(disabled('plugins').sort(), DEBIAN_LIBRARIES.plugins.filter((name) => name !== 'libjanus_videoroom.so').sort());
  assert.deepEqual(disabled('transports').sort(), DEBIAN_LIBRARIES.transports.filter((name) => name !== 'libjanus_websockets.so').sort());
  assert.deepEqual(disabled('events').sort(), [...DEBIAN_LIBRARIES.events].sort());
  assert.deepEqual(disabled('loggers'), ['libjanus_jsonlog.so']);
  assert.equal(setting(core, 'events', 'broadcast'), 'false');
  // Janus's own choice of addresses, no STUN server, no secrets.
  for (const absent of ['ice_enforce_list', 'nat_1_1_mapping', 'stun_server', 'admin_secret', 'api_secret', 'token_auth']) assert.ok(!core.includes(absent), absent);

  const room = files['janus.plugin.videoroom.jcfg'];
  assert.equal(setting(room, 'general', 'string_ids'), 'true');
  assert.equal(setting(room, 'general', 'lock_rtp_forward'), 'true');
  assert.ok(!room.includes('admin_key'), 'browsers create their rooms');
  assert.ok(!/^room-/m.test(room), 'no rooms made in advance');

  const ws = files['janus.transport.websockets.jcfg'];
  assert.equal(setting(ws, 'general', 'ws'), 'true');
  assert.equal(setting(ws, 'general', 'ws_port'), '8188');
  assert.equal(setting(ws, 'general', 'ws_ip'), '"127.0.0.1"');
  assert.equal(setting(ws, 'general', 'wss'), 'false');
  assert.equal(setting(ws, 'admin', 'admin_ws'), 'false');
  assert.equal(setting(ws, 'admin', 'admin_wss'), 'false');

  const placed = janusConfig({ dir: '/d', libDir: '/l', wsPort: 1, wsIp: '198.18.250.2', rtpMinPort: 1, rtpMaxPort: 2, iceEnforce: 'eth0', natIp: '203.0.113.7' })['janus.jcfg'];
  assert.equal(setting(placed, 'nat', 'ice_enforce_list'), '"eth0"');
  assert.equal(setting(placed, 'nat', 'nat_1_1_mapping'), '"203.0.113.7"');
  // Janus's media ports: clear of coturn's relay ports and of the kernel's ephemeral ones.
  assert.ok(DEFAULT_JANUS.rtpMaxPort < DEFAULT_TURN.minPort && DEFAULT_JANUS.rtpMaxPort < 32768);
});

test('the proxy refuses rtp_forward and recording, and forwards the rest', () => {
  const message = (/** @type {object} */ body) => JSON.stringify({ janus: 'message', session_id: 1, handle_id: 2, transaction: 'x', body });
  assert.deepEqual(refusal(message({ request: 'rtp_forward', room: 'r', publisher_id: 'p', host: '10.0.0.1' })), {
    janus: 'error',
    session_id: 1,
    transaction: 'x',
    error: { code: 403, reason: 'not allowed through this server: rtp_forward' },
  });
  for (const body of [{ request: 'create', room: 'r', record: true }, { request: 'create', room: 'r', rec_dir: '/tmp' }, { request: 'configure', filename: 'x' }, { request: 'create', room: 'r', permanent: true }, { request: 'enable_recording', room: 'r' }]) {
    assert.ok(refusal(message(body)), JSON.stringify(body));
  }
  for (const body of [{ request: 'create', room: 'r', require_e2ee: true, record: false }, { request: 'join', ptype: 'publisher', room: 'r' }, { request: 'publish' }]) {
    assert.equal(refusal(message(body)), null, JSON.stringify(body));
  }
  assert.equal(refusal('{"janus":"create","transaction":"a"}'), null);
  assert.equal(refusal('not json'), null, 'Janus answers that itself');
});

test('mediaServers: our proxy on the host the browser used (wss under TLS), or the configured list', () => {
  const req = (/** @type {Record<string, string>} */ headers) => /** @type {import('node:http').IncomingMessage} */ (/** @type {unknown} */ ({ headers }));
  const proxy = { path: MEDIA_PATH, tls: false, trustProxy: false };
  assert.deepEqual(mediaServerUrls(proxy, req({ host: 'example.org:8080' })), [`ws://example.org:8080${MEDIA_PATH}`]);
  assert.deepEqual(mediaServerUrls({ ...proxy, tls: true }, req({ host: '[2001:db8::1]:8443' })), [`wss://[2001:db8::1]:8443${MEDIA_PATH}`]);
  assert.deepEqual(mediaServerUrls(proxy, req({ host: 'example.org', 'x-forwarded-proto': 'https' })), [`ws://example.org${MEDIA_PATH}`], 'X-Forwarded-Proto only from a trusted proxy');
  assert.deepEqual(mediaServerUrls({ ...proxy, trustProxy: true }, req({ host: 'example.org', 'x-forwarded-proto': 'https' })), [`wss://example.org${MEDIA_PATH}`]);
  assert.deepEqual(mediaServerUrls(proxy, req({ host: 'evil.example/path?' })), []);
  assert.deepEqual(mediaServerUrls({ urls: ['wss://sfu.example.org/janus'] }, req({})), ['wss://sfu.example.org/janus']);
  assert.deepEqual(mediaServerUrls(null, req({ host: 'example.org' })), []);
});

test('a real Janus: a require_e2ee room with a string id, a publisher, media only with jsep.e2ee; close() stops it', { skip }, async (t) => {
  const janus = await startTestJanus();
  assert.equal(statSync(janus.dir).mode & 0o777, 0o700);
  const client = new JanusClient(janus.url);
  try {
    await client.opened;
    assert.equal(client.ws.protocol, 'janus-protocol');
    const owner = await client.videoRoom();
    const room = `room-${janus.port}`;
    const created = await owner.message({ request: 'create', room, require_e2ee: true, publishers: 16 });
    assert.deepEqual(created.plugindata.data, { videoroom: 'created', room, permanent: false });
    const exists = await owner.message({ request: 'exists', room });
    assert.equal(exists.plugindata.data.exists, true);
    const listed = await owner.message({ request: 'list' });
    assert.equal(listed.plugindata.data.list.find((/** @type {any} */ r) => r.room === room)?.require_e2ee, true);

    const joined = await owner.message({ request: 'join', ptype: 'publisher', room, id: 'feed-a', display: 'a' });
    assert.equal(joined.janus, 'event');
    const data = joined.plugindata.data;
    assert.deepEqual([data.videoroom, data.room, data.id, data.publishers], ['joined', room, 'feed-a', []]);
    assert.equal(typeof data.private_id, 'number');

    // Without the e2ee flag the room refuses the offer (and that handle cannot publish again).
    const refused = await owner.message({ request: 'publish' }, { type: 'offer', sdp: publisherOffer() });
    assert.deepEqual(refused.plugindata.data, { videoroom: 'event', error_code: 433, error: 'Room requires end-to-end encrypted media' });
    assert.equal(refused.jsep, undefined);

    const other = await client.videoRoom();
    await other.message({ request: 'join', ptype: 'publisher', room, id: 'feed-b' });
    const published = await other.message({ request: 'publish' }, { type: 'offer', sdp: publisherOffer(), e2ee: true });
    assert.equal(published.plugindata.data.configured, 'ok');
    assert.equal(published.jsep.type, 'answer');
    assert.equal(published.jsep.e2ee, true);
    const candidates = [...published.jsep.sdp.matchAll(/^a=candidate:\S+ \d+ (\w+) \d+ (\S+) (\d+) typ (\w+)/gm)].map(([, transport, address, port, type]) => ({ transport, address, port: Number(port), type }));
    assert.ok(candidates.length > 0, published.jsep.sdp);
    for (const candidate of candidates) {
      assert.notEqual(candidate.address, '127.0.0.1', 'Janus offers no loopback');
      assert.ok(candidate.port >= 29_000 && candidate.port < 33_000, `${candidate.port}: from the RTP range`);
    }
    t.diagnostic(`candidates offered: ${[...new Set(candidates.map((c) => `${c.transport} ${c.address}:${c.port} ${c.type}`))].join(', ')}`);
  } finally {
    await client.close();
    await janus.close();
  }
  assert.throws(() => process.kill(/** @type {number} */ (janus.pid), 0), { code: 'ESRCH' });
  assert.ok(!existsSync(janus.dir), 'its folder is removed');
});

test('the proxy: subprotocol, messages both ways, refused requests, oversize messages, closes with Janus', { skip }, async (t) => {
  const janus = await startTestJanus();
  const server = await startServer({ port: 0, host: '127.0.0.1', media: { janus: janus.url } });
  const url = `ws://127.0.0.1:${server.port}${MEDIA_PATH}`;
  try {
    const body = await (await fetch(`${server.url}${ICE_SERVERS_PATH}`)).json();
    assert.deepEqual(body, { iceServers: [], ttl: 0, mediaServers: [url] });

    const client = new JanusClient(url);
    await client.opened;
    assert.equal(client.ws.protocol, 'janus-protocol');
    const room = await client.videoRoom();
    const created = await room.message({ request: 'create', room: 'proxied', require_e2ee: true });
    assert.equal(created.plugindata.data.videoroom, 'created');
    const forward = await room.message({ request: 'rtp_forward', room: 'proxied', publisher_id: 'x', host: '127.0.0.1', audio_port: 5000 });
    assert.deepEqual([forward.janus, forward.error.code], ['error', 403]);
    const health = await (await fetch(`${server.url}/health`)).json();
    assert.equal(health.mediaSockets, 1);
    // Closing the browser's socket closes Janus's: Janus ends the session at once.
    const ended = janus.line(new RegExp(`Destroying session ${room.session}`));
    await client.close();
    await ended;

    assert.equal(await new JanusClient(url, { protocol: null }).refused, 400, 'no janus-protocol: refused');

    const oversize = new JanusClient(url);
    await oversize.opened;
    const gone = janus.line(/Destroying WebSocket client/);
    oversize.ws.send(JSON.stringify({ janus: 'keepalive', padding: 'x'.repeat(300 * 1024) }));
    assert.equal((await within(oversize.closed, 5_000, 'the oversize client to be closed')).code, 1009);
    await gone;

    const last = new JanusClient(url);
    await last.opened;
    await last.request({ janus: 'create' });
    await janus.close();
    assert.deepEqual(await within(last.closed, 5_000, 'the client to see Janus go'), { code: 1001, reason: 'media server closed' });
    // No Janus behind it: the proxy accepts, then closes.
    const orphan = new JanusClient(url);
    assert.equal((await within(orphan.closed, 15_000, 'the client without Janus to be closed')).code, 1011);
    t.diagnostic('subprotocol answered; rtp_forward refused with 403; 300 KB closed with 1009; Janus gone → 1001, unreachable → 1011');
  } finally {
    await server.close();
    await janus.close();
  }
});

test('proxy sockets count toward the per-address limit, and the drain closes them', { skip }, async () => {
  const janus = await startTestJanus();
  const server = await startServer({ port: 0, host: '127.0.0.1', media: { janus: janus.url }, limits: { maxConnectionsPerIp: 2 } });
  const url = `ws://127.0.0.1:${server.port}${MEDIA_PATH}`;
  try {
    const first = new JanusClient(url);
    await first.opened;
    await new PeerClient(server.port).opened();
    assert.equal(await new JanusClient(url).refused, 429, 'the same address, one socket over the limit');
    assert.equal(await new PeerClient(server.port).refused, 429);
    server.close();
    assert.deepEqual(await within(first.closed, 5_000, 'the drain to close the proxy socket'), { code: 1001, reason: 'server shutting down' });
  } finally {
    await server.close();
    await janus.close();
  }
});

test('npm start runs Janus on its ports, lists the proxy, and stops it; VR_MEDIA_SERVERS instead', { skip }, async (t) => {
  const wsPort = await freeTcpPort();
  const server = await startProcess({ VR_TURN: 'off', VR_JANUS: 'on', VR_JANUS_WS_PORT: String(wsPort), VR_JANUS_MIN_PORT: '29900', VR_JANUS_MAX_PORT: '29949' });
  try {
    assert.match(server.output(), new RegExp(`media server: Janus on ws://127\\.0\\.0\\.1:${wsPort} .*UDP ports 29900-29949.*${MEDIA_PATH}`));
    const body = await (await fetch(`http://127.0.0.1:${server.port}${ICE_SERVERS_PATH}`)).json();
    assert.deepEqual(body.mediaServers, [`ws://127.0.0.1:${server.port}${MEDIA_PATH}`]);
    const client = new JanusClient(body.mediaServers[0]);
    await client.opened;
    assert.equal((await client.request({ janus: 'create' })).janus, 'success');
    t.diagnostic(server.output().split('\n')[2]);
  } finally {
    await server.stop();
  }
  // Janus went with it: nothing listens on its port any more.
  assert.equal(spawnSync('ss', ['-Hltn', `sport = :${wsPort}`], { encoding: 'utf8' }).stdout.trim(), '');

  const elsewhere = await startProcess({ VR_TURN: 'off', VR_MEDIA_SERVERS: 'wss://sfu1.example.org/janus, wss://sfu2.example.org/janus' });
  try {
    assert.match(elsewhere.output(), /media servers: wss:\/\/sfu1\.example\.org\/janus wss:\/\/sfu2\.example\.org\/janus/);
    const body = await (await fetch(`http://127.0.0.1:${elsewhere.port}${ICE_SERVERS_PATH}`)).json();
    assert.deepEqual(body.mediaServers, ['wss://sfu1.example.org/janus', 'wss://sfu2.example.org/janus']);
  } finally {
    await elsewhere.stop();
  }
  const child = spawn(process.execPath, [entry], { env: { ...process.env, PORT: '0', VR_TURN: 'off', VR_MEDIA_SERVERS: 'https://sfu.example.org' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(stderr, /VR_MEDIA_SERVERS: "https:\/\/sfu\.example\.org" is not a ws: or wss: URL/);
});
