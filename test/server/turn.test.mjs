// STUN and TURN from `npm start`: Debian's coturn with a random secret, the element's credentials
// endpoint, and what the relay refuses. Credentials are checked by coturn itself (its own client,
// turnutils_uclient), not by recomputing them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { startServer } from '../../server/app.mjs';
import { ICE_SERVERS_PATH, turnCredential } from '../../server/ice-credentials.mjs';
import { startCoturn } from '../../server/turn.mjs';
import { freeUdpPort as freePort } from '../plugins/turn.mjs';
import { entry, startProcess } from './server-process.mjs';

/**
 * What coturn answers a client that allocates with `credential` and asks to reach `peer`:
 * `allocated` (the credential was taken), `forbidden` (the peer was refused with 403).
 * @param {number} port @param {{ username: string, credential: string }} credential @param {string} peer
 */
function tryRelay(port, { username, credential }, peer) {
  const run = spawnSync('turnutils_uclient', ['-u', username, '-w', credential, '-p', String(port), '-e', peer, '-n', '1', '-L', '127.0.0.1', '127.0.0.1'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  return { allocated: !/Cannot complete Allocation/.test(output), forbidden: /403 \(Forbidden IP\)/.test(output), output };
}

/**
 * A relay range of its own below the kernel's ephemeral ports, so that coturns started side by
 * side do not share ports. @param {number} port
 */
const relayRange = (port) => ({ minPort: 10_000 + (port % 9_000) * 2, maxPort: 10_000 + (port % 9_000) * 2 + 40 });

test('the credentials the endpoint hands out open allocations on coturn; expired or forged ones do not', async (t) => {
  const port = await freePort();
  const coturn = await startCoturn({ port, listenIp: '127.0.0.1', ...relayRange(port) });
  const server = await startServer({ port: 0, host: '127.0.0.1', turn: { secret: coturn.secret, ttlSeconds: 600, port: coturn.port } });
  try {
    const response = await fetch(`${server.url}${ICE_SERVERS_PATH}`, { headers: { Origin: 'https://some-cms.example' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    const body = await response.json();
    assert.equal(body.ttl, 600);
    assert.equal(body.iceServers.length, 1);
    const [ice] = body.iceServers;
    // The host the browser used (the Host header), STUN and TURN over UDP and TCP.
    assert.deepEqual(ice.urls, [`stun:127.0.0.1:${port}`, `turn:127.0.0.1:${port}?transport=udp`, `turn:127.0.0.1:${port}?transport=tcp`]);
    const expiry = Number(ice.username.split(':')[0]);
    assert.ok(Math.abs(expiry - (Date.now() / 1000 + 600)) < 5, ice.username);
    assert.ok(!JSON.stringify(body).includes(coturn.secret), 'the secret itself is never served');

    const handed = tryRelay(port, ice, '198.51.100.7');
    assert.ok(handed.allocated, handed.output);
    const expired = tryRelay(port, turnCredential(coturn.secret, -10), '198.51.100.7');
    assert.ok(!expired.allocated, 'an expired credential opens nothing');
    const forged = tryRelay(port, turnCredential('not-the-secret', 600), '198.51.100.7');
    assert.ok(!forged.allocated, 'a credential made with another secret opens nothing');
    t.diagnostic(`handed out: allocated; expired: refused; forged: refused`);
  } finally {
    await server.close();
    await coturn.close();
  }
});

test('the relay refuses to reach loopback, private and non-internet addresses (and would without the list)', async (t) => {
  const targets = ['127.0.0.1', '10.0.0.1', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '198.18.0.1'];
  const port = await freePort();
  const coturn = await startCoturn({ port, listenIp: '127.0.0.1', ...relayRange(port) });
  const open = await startCoturn({ port: port + 1, listenIp: '127.0.0.1', ...relayRange(port + 1), deniedPeers: [] });
  try {
    for (const peer of targets) {
      const relay = tryRelay(coturn.port, turnCredential(coturn.secret, 60), peer);
      assert.ok(relay.allocated && relay.forbidden, `${peer}: ${relay.output}`);
    }
    // The teeth: the same coturn without the list lets a relay reach them (loopback aside, which
    // coturn refuses by itself without --allow-loopback-peers).
    for (const peer of targets.slice(1)) {
      const relay = tryRelay(open.port, turnCredential(open.secret, 60), peer);
      assert.ok(relay.allocated && !relay.forbidden, `${peer} without the list: ${relay.output}`);
    }
    t.diagnostic(`refused: ${targets.join(', ')}`);
  } finally {
    await Promise.all([coturn.close(), open.close()]);
  }
});

test('the secret is on no command line, in a file only this user reads, removed with coturn', async () => {
  const port = await freePort();
  const coturn = await startCoturn({ port, listenIp: '127.0.0.1', ...relayRange(port) });
  const cmdline = readFileSync(`/proc/${coturn.pid}/cmdline`, 'utf8');
  assert.ok(!cmdline.includes(coturn.secret), cmdline);
  assert.equal(statSync(coturn.file).mode & 0o777, 0o600);
  assert.ok(readFileSync(coturn.file, 'utf8').includes(`static-auth-secret=${coturn.secret}`));
  assert.ok(!readFileSync(coturn.file, 'utf8').includes('allow-loopback-peers'));
  await coturn.close();
  assert.ok(!existsSync(coturn.file));
});

test('npm start runs coturn itself, and its endpoint hands out credentials that coturn takes', async (t) => {
  const port = await freePort();
  const { minPort, maxPort } = relayRange(port);
  const server = await startProcess({ VR_TURN_PORT: String(port), VR_TURN_LISTEN_IP: '127.0.0.1', VR_TURN_MIN_PORT: String(minPort), VR_TURN_MAX_PORT: String(maxPort), VR_TURN_TTL: '120' });
  try {
    assert.match(server.output(), new RegExp(`STUN/TURN: coturn on port ${port} .*credentials for 120 s`));
    const body = await (await fetch(`http://127.0.0.1:${server.port}${ICE_SERVERS_PATH}`)).json();
    assert.equal(body.ttl, 120);
    assert.ok(tryRelay(port, body.iceServers[0], '198.51.100.7').allocated);
    t.diagnostic(server.output().split('\n')[1]);
  } finally {
    await server.stop();
  }
  // coturn went with it: nothing listens on its port any more.
  const listening = spawnSync('ss', ['-Hlnu', `sport = :${port}`], { encoding: 'utf8' }).stdout.trim();
  assert.equal(listening, '');
});

test('a coturn run elsewhere: VR_TURN_URLS and VR_TURN_SECRET; one without the other stops with a message', async () => {
  const server = await startProcess({ VR_TURN_URLS: 'turn:turn.example.org:3478?transport=udp, turns:turn.example.org:443?transport=tcp', VR_TURN_SECRET: 's3cret' });
  try {
    const body = await (await fetch(`http://127.0.0.1:${server.port}${ICE_SERVERS_PATH}`)).json();
    assert.deepEqual(body.iceServers[0].urls, ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:443?transport=tcp']);
    assert.deepEqual(body.iceServers[0].credential, turnCredential('s3cret', 3600, (Number(body.iceServers[0].username.split(':')[0]) - 3600) * 1000).credential);
    assert.ok(!server.output().includes('s3cret'), 'the secret is not logged');
  } finally {
    await server.stop();
  }
  const child = spawn(process.execPath, [entry], { env: { ...process.env, PORT: '0', VR_TURN_URLS: 'turn:x:3478' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(stderr, /VR_TURN_URLS and VR_TURN_SECRET go together/);
});

test('without TURN (VR_TURN=off): the endpoint answers an empty list', async () => {
  const server = await startProcess({ VR_TURN: 'off' });
  try {
    assert.match(server.output(), /STUN\/TURN: off/);
    const body = await (await fetch(`http://127.0.0.1:${server.port}${ICE_SERVERS_PATH}`)).json();
    assert.deepEqual(body, { iceServers: [], ttl: 0, mediaServers: [] });
  } finally {
    await server.stop();
  }
});
