// HTTPS from `npm start` (TLS_CERT, TLS_KEY): the demo, the bundle and the broker's WebSocket
// (wss) on one port, with a certificate made here by openssl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { randomId, within } from './peer-client.mjs';

const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../server/index.mjs');

/** A self-signed certificate for 127.0.0.1: its files and the PEM to trust. */
function certificate() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vr-tls-'));
  const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  return { dir, cert, key, ca: readFileSync(cert) };
}

/** GET over HTTPS, trusting `ca` only. @param {string} url @param {Buffer} ca */
function get(url, ca) {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      })
      .on('error', reject);
  });
}

test('TLS_CERT and TLS_KEY: the page, the bundle and the broker over HTTPS and WSS on one port', async (t) => {
  const tls = certificate();
  const child = spawn(process.execPath, [entry], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', VR_TURN: 'off', TLS_CERT: tls.cert, TLS_KEY: tls.key }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit');
  try {
    const port = await within(
      new Promise((resolve, reject) => {
        child.stdout.on('data', () => {
          const match = /https:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
          if (match) resolve(Number(match[1]));
        });
        exited.then(() => reject(new Error(`server exited early:\n${output}`)));
      }),
      20_000,
      'the server to start',
    );
    const page = /** @type {{ status: number, body: string }} */ (await get(`https://127.0.0.1:${port}/`, tls.ca));
    assert.equal(page.status, 200);
    assert.match(page.body, /<video-room/);
    const ice = /** @type {{ status: number, body: string }} */ (await get(`https://127.0.0.1:${port}/peerjs/video-room/ice-servers`, tls.ca));
    assert.equal(ice.status, 200);
    const ws = new WebSocket(`wss://127.0.0.1:${port}/peerjs/peerjs?key=peerjs&id=${randomId()}&token=abc`, { ca: tls.ca });
    const [data] = await within(once(ws, 'message'), 5_000, 'OPEN over wss');
    assert.equal(JSON.parse(String(data)).type, 'OPEN');
    ws.close();
    t.diagnostic(`https and wss on port ${port}`);
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(tls.dir, { recursive: true, force: true });
  }
});

test('TLS_CERT without TLS_KEY, or a file that cannot be read, stops the server with a message', async () => {
  for (const env of [{ TLS_CERT: '/etc/hostname' }, { TLS_CERT: '/nonexistent.pem', TLS_KEY: '/nonexistent.key' }]) {
    const child = spawn(process.execPath, [entry], { env: { ...process.env, PORT: '0', VR_TURN: 'off', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(child, 'exit');
    assert.equal(code, 2, stderr);
    assert.match(stderr, /TLS_CERT and TLS_KEY go together|TLS_CERT: cannot read/);
  }
});
