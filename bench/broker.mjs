// `npm run bench:broker`: thousands of PeerJS-protocol clients on loopback against this server
// (server/app.mjs, its limits on) and against a plain `peer` PeerServer (its defaults), one
// after the other in the same run, each broker in a process of its own (bench/broker-server.mjs).
// Reports per broker: connections held, messages relayed per second at a fixed offered rate,
// relay latency, server CPU per relayed message and memory per client; writes
// bench/results/broker.md. No browser: the clients are `ws` sockets in this process.
//
// Clients are paired; each sends its partner RATE messages a second (one OFFER of 3 KB of SDP
// to three ICE candidates of ~200 bytes, as a joining browser would), well under the per-socket
// rate limit, and a HEARTBEAT every 5 s as peerjs does. Memory per client is the broker's
// (RSS, heap) with all clients connected, minus before any, over the clients, after a full GC.
import os from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

const REQUESTED = Number(process.env.VR_BENCH_CLIENTS ?? 2000);
/** Messages a second each client sends its partner. */
const RATE = Number(process.env.VR_BENCH_RATE ?? 4);
const MEASURE_S = Number(process.env.VR_BENCH_SECONDS ?? 10);
/** Runs per broker, in the order ours, plain, plain, ours…, so warm-up and drift hit both alike. */
const ROUNDS = Number(process.env.VR_BENCH_ROUNDS ?? 2);
const WARMUP_S = 2;
/** Connection handshakes in flight at once. */
const CONNECT_CONCURRENCY = 100;
/** The whole run stops by then, whatever hangs. */
const TIME_LIMIT_MS = 110_000;
const TICK_MS = 50;
const HEARTBEAT_MS = 5_000;
const OFFER_SDP = 'a'.repeat(3_000);

/** Soft limit on open files, from /proc (Linux); the bench needs one per client. */
function openFilesLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) ? soft : Infinity;
  } catch {
    return Infinity;
  }
}

/** Local ports the kernel hands to outgoing connections (each client uses one). */
function ephemeralPorts() {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return high - low + 1;
  } catch {
    return Infinity;
  }
}

// Each client is a socket here and one in the broker (same limits, inherited); leave headroom.
const fdLimit = openFilesLimit();
const portLimit = ephemeralPorts();
const CLIENTS = Math.max(2, Math.floor(Math.min(REQUESTED, fdLimit - 200, portLimit - 1000) / 2) * 2);
const capped = CLIENTS < REQUESTED ? ` (capped from ${REQUESTED}: open files ${fdLimit}, ephemeral ports ${portLimit}; raise \`ulimit -n\`)` : '';

const watchdog = setTimeout(() => {
  console.error(`bench:broker: over its ${TIME_LIMIT_MS / 1000} s limit, stopping`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
}, TIME_LIMIT_MS);
/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();

/**
 * Starts one broker process; resolves with its port, mount and a sampler.
 * @param {'ours' | 'plain'} kind
 */
async function startBroker(kind) {
  const child = fork(path.join(here, 'broker-server.mjs'), [kind, String(CLIENTS + 100)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const [ready] = await once(child, 'message');
  /** @param {boolean} gc @returns {Promise<{ rss: number, heapUsed: number, external: number, cpuMicros: number }>} */
  const sample = async (gc) => {
    child.send({ type: 'sample', gc });
    for (;;) {
      const [message] = await once(child, 'message');
      if (message.type === 'sample') return message;
    }
  };
  const stop = () => {
    child.kill('SIGKILL');
    children.delete(child);
    return once(child, 'exit');
  };
  return { ...ready, sample, stop };
}

/**
 * One client: resolves once the broker said OPEN.
 * @param {number} port @param {string} mount @param {string} id
 * @returns {Promise<WebSocket>}
 */
function connect(port, mount, id) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${mount}/peerjs?key=peerjs&id=${id}&token=t${id}`, { perMessageDeflate: false });
    const fail = (/** @type {unknown} */ why) => {
      clearTimeout(timer);
      ws.terminate();
      reject(why instanceof Error ? why : new Error(String(why)));
    };
    const timer = setTimeout(() => fail('no OPEN in 10 s'), 10_000);
    ws.once('error', fail);
    ws.once('close', (code) => fail(`closed ${code}`));
    ws.once('message', (data) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      if (JSON.parse(data.toString()).type === 'OPEN') resolve(ws);
      else fail(data.toString());
    });
  });
}

/** @param {number[]} sorted @param {number} q */
const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);

/**
 * Runs the whole scenario against one broker.
 * @param {'ours' | 'plain'} kind
 */
async function run(kind) {
  const broker = await startBroker(kind);
  const base = await broker.sample(true);

  // Connect every client, CONNECT_CONCURRENCY at a time.
  const ids = Array.from({ length: CLIENTS }, (_, i) => `b${kind}${i}`);
  /** @type {(WebSocket | null)[]} */
  const sockets = new Array(CLIENTS).fill(null);
  let failed = 0;
  let next = 0;
  const connectStart = performance.now();
  await Promise.all(
    Array.from({ length: CONNECT_CONCURRENCY }, async () => {
      while (next < CLIENTS) {
        const i = next++;
        try {
          sockets[i] = await connect(broker.port, broker.mount, ids[i]);
        } catch {
          failed++;
        }
      }
    }),
  );
  const connectS = (performance.now() - connectStart) / 1000;
  const connected = sockets.filter(Boolean).length;
  const loaded = await broker.sample(true);

  // Traffic: count what each partner receives, from the right sender, in the window.
  let measuring = false;
  let delivered = 0;
  let wrongSource = 0;
  let offered = 0;
  /** @type {number[]} */
  const latencies = [];
  sockets.forEach((ws, i) => {
    const partner = ids[i ^ 1];
    ws?.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.src !== partner) {
        wrongSource++;
        return;
      }
      if (!measuring) return;
      delivered++;
      if (latencies.length < 200_000) latencies.push(Date.now() - message.payload.t);
    });
  });
  let cursor = 0;
  let sent = 0;
  let beatCursor = 0;
  let owed = 0;
  let beatsOwed = 0;
  let lastTick = performance.now();
  const traffic = setInterval(() => {
    const now = Date.now();
    // What the elapsed time owes, so a late tick does not lower the offered rate.
    const elapsedMs = performance.now() - lastTick;
    lastTick += elapsedMs;
    beatsOwed += (CLIENTS * elapsedMs) / HEARTBEAT_MS;
    for (owed += (CLIENTS * RATE * elapsedMs) / 1000; owed >= 1; owed--) {
      const i = cursor++ % CLIENTS;
      const ws = sockets[i];
      if (ws?.readyState !== WebSocket.OPEN) continue;
      // One OFFER to three CANDIDATEs, per sender.
      const offer = sent++ % 4 === 0;
      const payload = offer
        ? { sdp: { type: 'offer', sdp: OFFER_SDP }, type: 'data', connectionId: `dc_${i}`, t: now }
        : { candidate: { candidate: `candidate:1 1 udp 2122260223 192.0.2.${i % 250} ${50000 + (i % 10000)} typ host generation 0`, sdpMid: '0', sdpMLineIndex: 0 }, type: 'data', connectionId: `dc_${i}`, t: now };
      ws.send(JSON.stringify({ type: offer ? 'OFFER' : 'CANDIDATE', dst: ids[i ^ 1], payload }));
      if (measuring) offered++;
    }
    for (; beatsOwed >= 1; beatsOwed--) {
      const ws = sockets[beatCursor++ % CLIENTS];
      if (ws?.readyState === WebSocket.OPEN) ws.send('{"type":"HEARTBEAT"}');
    }
  }, TICK_MS);

  await new Promise((resolve) => setTimeout(resolve, WARMUP_S * 1000));
  const cpuBefore = await broker.sample(false);
  measuring = true;
  const windowStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, MEASURE_S * 1000));
  measuring = false;
  const windowS = (performance.now() - windowStart) / 1000;
  const cpuAfter = await broker.sample(false);
  clearInterval(traffic);
  const held = sockets.filter((ws) => ws?.readyState === WebSocket.OPEN).length;

  await broker.stop();
  for (const ws of sockets) ws?.terminate();
  latencies.sort((a, b) => a - b);
  return {
    kind,
    connected,
    failed,
    held,
    connectPerS: connected / connectS,
    offeredPerS: offered / windowS,
    deliveredPerS: delivered / windowS,
    wrongSource,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    cpuPercent: ((cpuAfter.cpuMicros - cpuBefore.cpuMicros) / 1e6 / windowS) * 100,
    cpuMsPer1000: (cpuAfter.cpuMicros - cpuBefore.cpuMicros) / 1000 / (delivered / 1000),
    baseRssMB: base.rss / 2 ** 20,
    rssKBPerClient: (loaded.rss - base.rss) / 1024 / connected,
    heapKBPerClient: (loaded.heapUsed - base.heapUsed) / 1024 / connected,
    // Buffers of sockets live outside the JS heap.
    externalKBPerClient: (loaded.external - base.external) / 1024 / connected,
  };
}

console.log(`bench:broker: ${CLIENTS} clients${capped}, ${RATE} messages/s each to a partner, ${MEASURE_S} s measured after ${WARMUP_S} s, on ${os.cpus().length} CPUs`);
console.log(`this server: its limits on, except the per-address limit raised to ${CLIENTS + 100} (every client here is 127.0.0.1)`);
const loadAtStart = os.loadavg();
/** @type {Record<'ours' | 'plain', Awaited<ReturnType<typeof run>>[]>} */
const results = { ours: [], plain: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const kind of /** @type {const} */ (round % 2 ? ['plain', 'ours'] : ['ours', 'plain'])) {
    const result = await run(kind);
    results[kind].push(result);
    console.log(`  ${kind === 'ours' ? 'this server' : 'plain peer '}: held ${result.held}, ${result.deliveredPerS.toFixed(0)} relayed/s, CPU ${result.cpuMsPer1000.toFixed(1)} ms per 1000, heap ${result.heapKBPerClient.toFixed(1)} KB per client`);
  }
}
/**
 * One row per broker: means over the rounds, except the worst connections held and the sum of failures.
 * @param {Awaited<ReturnType<typeof run>>[]} runs
 */
function combine(runs) {
  const mean = (/** @type {(r: (typeof runs)[number]) => number} */ get) => runs.reduce((sum, r) => sum + get(r), 0) / runs.length;
  const combined = { ...runs[0] };
  for (const key of /** @type {(keyof typeof combined)[]} */ (Object.keys(combined))) {
    if (typeof combined[key] === 'number') /** @type {any} */ (combined)[key] = mean((r) => /** @type {number} */ (r[key]));
  }
  combined.held = Math.min(...runs.map((r) => r.held));
  combined.failed = runs.reduce((sum, r) => sum + r.failed, 0);
  combined.wrongSource = runs.reduce((sum, r) => sum + r.wrongSource, 0);
  return combined;
}
const ours = combine(results.ours);
const plain = combine(results.plain);
clearTimeout(watchdog);

/** @param {number} value @param {number} [digits] */
const fmt = (value, digits = 0) => (Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');
/** @param {number} a @param {number} b */
const ratio = (a, b) => (Number.isFinite(a / b) && b !== 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

/** @type {[string, (r: typeof ours) => number, number][]} */
const rows = [
  [`connections held (of ${CLIENTS})`, (r) => r.held, 0],
  ['connections opened per second', (r) => r.connectPerS, 0],
  [`messages relayed per second (offered ${fmt(ours.offeredPerS)})`, (r) => r.deliveredPerS, 0],
  ['relay latency p50, ms', (r) => r.p50, 0],
  ['relay latency p99, ms', (r) => r.p99, 0],
  ['broker CPU, % of one core', (r) => r.cpuPercent, 1],
  ['broker CPU per 1000 relayed messages, ms', (r) => r.cpuMsPer1000, 1],
  ['memory per client: RSS, KB', (r) => r.rssKBPerClient, 1],
  ['memory per client: JS heap, KB', (r) => r.heapKBPerClient, 1],
  ['memory per client: external (buffers), KB', (r) => r.externalKBPerClient, 1],
  ['broker RSS before any client, MB', (r) => r.baseRssMB, 1],
];
const table = [
  '| | this server | plain `peer` | ratio (this / plain) |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map(([label, get, digits]) => `| ${label} | ${fmt(get(ours), digits)} | ${fmt(get(plain), digits)} | ${ratio(get(ours), get(plain))} |`),
].join('\n');

const notes = [
  `- ${CLIENTS} clients${capped} on 127.0.0.1, in one process; each broker in its own process, measured one after the other, ${ROUNDS} runs each (${ROUNDS > 1 ? 'ours, plain, plain, ours…; ' : ''}means; connections held: the worst run).`,
  `- Load average when the run began: ${loadAtStart.map((l) => l.toFixed(2)).join(', ')} (the machine is shared: absolute figures vary, the same-run ratio less).`,
  `- Offered load: ${RATE} messages/s per client to its partner (1 OFFER with 3 KB of SDP to 3 CANDIDATEs), a HEARTBEAT every 5 s; ${MEASURE_S} s measured after ${WARMUP_S} s of warm-up.`,
  `- This server ran with its limits on (64 KiB messages, 50 messages/s and burst 250 a socket), the per-address limit raised to ${CLIENTS + 100} for the bench. Plain: \`PeerServer\` from \`peer\` ${JSON.parse(readFileSync(path.join(root, 'node_modules/peer/package.json'), 'utf8')).version} with its defaults.`,
  `- Failed connects: this server ${ours.failed}, plain ${plain.failed}. Messages from a wrong src: ${ours.wrongSource + plain.wrongSource}.`,
  `- Node ${process.version}, ws ${JSON.parse(readFileSync(path.join(root, 'node_modules/ws/package.json'), 'utf8')).version}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, open files limit ${fdLimit}.`,
  '- The clients share the CPUs with the broker: relayed/s equals offered/s while neither is saturated, so CPU per message is the figure that compares the brokers.',
].join('\n');

const report = `# Broker benchmark\n\nThousands of PeerJS-protocol clients against this server and a plain \`peer\` PeerServer, in the same run. Produced by \`npm run bench:broker\`.\n\n${table}\n\n## Notes\n\n${notes}\n`;
console.log(`\n${table}\n\n${notes}`);
await mkdir(path.join(here, 'results'), { recursive: true });
await writeFile(path.join(here, 'results', 'broker.md'), report);
console.log('\nwritten to bench/results/broker.md');
process.exit(0);
