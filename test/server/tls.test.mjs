// HTTPS from `npm start` (TLS_CERT, TLS_KEY): the demo, the bundle and the broker's WebSocket
// (wss) on one port, with a certificate made here by openssl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import https from 'node:https';
import { WebSocket } from 'ws';
import { randomId, within } from './peer-client.mjs';
import { certificate, entry, startProcess } from './server-process.mjs';

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
  const tls = certificate('127.0.0.1');
  const server = await startProcess({ VR_TURN: 'off', TLS_CERT: tls.cert, TLS_KEY: tls.key });
  try {
    const port = server.port;
    assert.match(server.output(), new RegExp(`https://127\\.0\\.0\\.1:${port}/`));
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
    await server.stop();
    tls.remove();
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
