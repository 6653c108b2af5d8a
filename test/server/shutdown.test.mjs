// `npm start`'s process on SIGTERM: clients see 1001, the process exits 0 within the drain bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { DEFAULT_DRAIN_TIMEOUT_MS } from '../../server/app.mjs';
import { openClient, openSilentClient, within } from './peer-client.mjs';
import { entry, startProcess as startServerProcess } from './server-process.mjs';

/** server/index.mjs without coturn: these are about the drain (turn.test.mjs starts one on ports of its own). @param {Record<string, string>} [env] */
const startProcess = (env = {}) => startServerProcess({ VR_TURN: 'off', ...env });

test('SIGTERM: clients are closed with 1001 and the process exits 0 promptly', async (t) => {
  const server = await startProcess();
  const clients = await Promise.all([openClient(server.port), openClient(server.port), openClient(server.port)]);
  const started = performance.now();
  server.child.kill('SIGTERM');
  const closes = await within(Promise.all(clients.map((c) => c.closed)), DEFAULT_DRAIN_TIMEOUT_MS, 'the clients to be closed');
  assert.deepEqual(
    closes.map((c) => c.code),
    [1001, 1001, 1001],
  );
  const [code, signal] = await within(server.exited, DEFAULT_DRAIN_TIMEOUT_MS + 1_000, 'the process to exit');
  const ms = performance.now() - started;
  assert.equal(signal, null, server.output());
  assert.equal(code, 0, server.output());
  assert.match(server.output(), /SIGTERM: draining/);
  t.diagnostic(`SIGTERM → 3 clients closed with 1001 → exit 0 after ${ms.toFixed(0)} ms`);
});

test('SIGTERM with a client that never answers: exit 0 once the drain bound has passed', async (t) => {
  const drainTimeoutMs = 1_000;
  const server = await startProcess({ VR_DRAIN_TIMEOUT_MS: String(drainTimeoutMs) });
  const polite = await openClient(server.port);
  const silent = await openSilentClient(server.port);
  const started = performance.now();
  server.child.kill('SIGTERM');
  assert.equal((await within(polite.closed, drainTimeoutMs, 'the polite client to be closed')).code, 1001);
  const [code] = await within(server.exited, drainTimeoutMs + 2_000, 'the process to exit');
  const ms = performance.now() - started;
  await within(silent.ended, 1_000, 'the silent client to be cut');
  assert.equal(code, 0, server.output());
  assert.ok(ms >= drainTimeoutMs - 50 && ms < drainTimeoutMs + 1_500, `exited after ${ms} ms`);
  t.diagnostic(`SIGTERM with an unresponsive client: exit 0 after ${ms.toFixed(0)} ms (VR_DRAIN_TIMEOUT_MS ${drainTimeoutMs})`);
});

test('a bad setting in the environment stops the server with a message', async () => {
  const child = spawn(process.execPath, [entry], { env: { ...process.env, PORT: '0', VR_TURN: 'off', VR_MAX_CONNECTIONS_PER_IP: 'lots' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await within(once(child, 'exit'), 10_000, 'the process to exit');
  assert.equal(code, 2);
  assert.match(stderr, /VR_MAX_CONNECTIONS_PER_IP must be a whole number/);
});
