// `npm run bench:e2ee`: the CPU cost of SFrame frame encryption (FrameCrypto), on vs off.
//
// One headless Chromium (fake camera and microphone). A page opens LINKS loopback calls, each a
// sending and a receiving RTCPeerConnection in the same page carrying the 640x480 camera and the
// microphone, like one participant of a (LINKS + 1)-person mesh: it encodes and sends LINKS
// streams and receives and decodes LINKS streams. With encryption on, one FrameCrypto encrypts all
// senders and another decrypts all receivers (two workers). Phases alternate off/on (then on/off)
// so that other load on the machine hits both alike. Per phase, after a warm-up, we read the CPU
// time of the whole browser process tree from /proc (utime + stime of every process) over
// MEASURE_S seconds, and the frame counters of the page.
//
// FrameCrypto is loaded from dist/ (tsc output) bundled and minified here with rollup + terser,
// the same plugins as the CDN build, so this also runs the minified Blob worker for real.
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer';
import { rollup } from 'rollup';
import terser from '@rollup/plugin-terser';
import { CHROMIUM_ARGS } from '../test/plugins/participants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

// BENCH_LINKS=3, BENCH_ROUNDS=2, BENCH_MEASURE_S=30 (the defaults) can be overridden for a quick look.
const LINKS = Number(process.env.BENCH_LINKS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MEASURE_S = Number(process.env.BENCH_MEASURE_S ?? 30);
/** After every receiver has decoded frames: lets bandwidth estimation ramp up before measuring. */
const WARMUP_S = 8;
/** Hard stop for the whole benchmark, whatever hangs. */
const TOTAL_TIMEOUT_MS = 8 * 60_000;
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The page: loopback calls with or without FrameCrypto; everything it measures is on `window`. */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>e2ee bench</title></head><body>
<script type="module">
import { FrameCrypto, pinCodecsForE2EE } from '/frame-crypto.js';

let call = null;

async function link(media, send, receive) {
  const sender = new RTCPeerConnection();
  const receiver = new RTCPeerConnection();
  sender.onicecandidate = ({ candidate }) => candidate && receiver.addIceCandidate(candidate);
  receiver.onicecandidate = ({ candidate }) => candidate && sender.addIceCandidate(candidate);
  receiver.ontrack = ({ receiver: rtpReceiver, track }) => {
    receive?.protectReceiver(rtpReceiver, 'sender');
    // Chromium decodes remote audio only while something plays it.
    if (track.kind === 'audio') {
      const player = document.createElement('audio');
      player.muted = true;
      player.srcObject = new MediaStream([track]);
      document.body.append(player);
      player.play().catch(() => {});
    }
  };
  for (const track of media.getTracks()) {
    const transceiver = sender.addTransceiver(track, { direction: 'sendonly', streams: [media] });
    pinCodecsForE2EE(transceiver);
    send?.protectSender(transceiver.sender);
  }
  await sender.setLocalDescription();
  await receiver.setRemoteDescription(sender.localDescription);
  await receiver.setLocalDescription();
  await sender.setRemoteDescription(receiver.localDescription);
  return [sender, receiver];
}

window.startCall = async ({ links, encrypt }) => {
  const media = await navigator.mediaDevices.getUserMedia({
    video: { width: 640, height: 480, frameRate: 30 },
    audio: true,
  });
  let send = null;
  let receive = null;
  if (encrypt) {
    send = new FrameCrypto();
    receive = new FrameCrypto();
    const key = crypto.getRandomValues(new Uint8Array(16));
    send.setSendKey(1, key);
    receive.addReceiveKey('sender', 1, key);
  }
  const pcs = [];
  for (let i = 0; i < links; i++) pcs.push(await link(media, send, receive));
  call = { media, send, receive, pcs };
  return { mode: send?.mode ?? null };
};

window.sample = async () => {
  const out = { at: performance.now(), decoded: [], encoded: 0, width: 0, height: 0, audioSamples: 0, encrypted: 0, decrypted: 0, dropped: 0 };
  for (const [sender, receiver] of call.pcs) {
    let decoded = 0;
    (await receiver.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      if (r.kind === 'video') {
        decoded += r.framesDecoded ?? 0;
        out.width = r.frameWidth ?? out.width;
        out.height = r.frameHeight ?? out.height;
      } else out.audioSamples += (r.totalSamplesReceived ?? 0) - (r.concealedSamples ?? 0);
    });
    out.decoded.push(decoded);
    (await sender.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video') out.encoded += r.framesEncoded ?? 0;
    });
  }
  if (call.send) {
    const [sent, received] = await Promise.all([call.send.stats(), call.receive.stats()]);
    out.encrypted = sent.encrypted;
    out.decrypted = received.decrypted;
    out.dropped = sent.dropped + received.dropped;
  }
  return out;
};

window.stopCall = () => {
  for (const pc of call.pcs.flat()) pc.close();
  call.media.getTracks().forEach((t) => t.stop());
  call.send?.close();
  call.receive?.close();
  document.querySelectorAll('audio').forEach((a) => a.remove());
  call = null;
};
</script>
</body></html>`;

/** FrameCrypto from dist/, bundled and minified like the CDN build. */
async function bundleFrameCrypto() {
  const bundle = await rollup({
    input: path.join(root, 'dist/core/frame-crypto.js'),
    plugins: [terser({ ecma: 2020, module: true, format: { comments: false } })],
  });
  try {
    const { output } = await bundle.generate({ format: 'es' });
    return output[0].code;
  } finally {
    await bundle.close();
  }
}

async function startPageServer(moduleCode) {
  const routes = {
    '/': ['text/html', Buffer.from(PAGE)],
    '/frame-crypto.js': ['text/javascript', Buffer.from(moduleCode)],
  };
  const server = http.createServer((req, res) => {
    const found = routes[new URL(req.url, 'http://x').pathname];
    if (!found) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': found[0], 'content-length': found[1].length }).end(found[1]);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

/** `/proc/<pid>/stat` after the command name: [state, ppid, …]; utime and stime are fields 14 and 15. */
async function readStat(file) {
  const text = await readFile(file, 'utf8');
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
}

/** CPU ticks of every process under `rootPid` (and of its dedicated-worker threads, where named so). */
async function treeTicks(rootPid) {
  const stats = new Map();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      stats.set(Number(name), await readStat(`/proc/${name}/stat`));
    } catch {
      // Exited meanwhile.
    }
  }
  const inTree = (pid) => {
    for (let p = pid, depth = 0; p > 1 && depth < 20; p = stats.get(p)?.ppid ?? 0, depth++) if (p === rootPid) return true;
    return false;
  };
  const perPid = new Map();
  let workers = 0;
  for (const [pid, stat] of stats) {
    if (!inTree(pid)) continue;
    perPid.set(pid, stat.ticks);
    try {
      for (const tid of await readdir(`/proc/${pid}/task`)) {
        const thread = await readStat(`/proc/${pid}/task/${tid}/stat`).catch(() => null);
        if (thread && /^DedicatedWorker/.test(thread.comm)) workers += thread.ticks;
      }
    } catch {
      // Exited meanwhile.
    }
  }
  return { perPid, workers };
}

/** CPU seconds used between two treeTicks readings (processes started in between count from 0). */
function cpuSeconds(before, after) {
  let ticks = 0;
  for (const [pid, end] of after.perPid) ticks += end - (before.perPid.get(pid) ?? 0);
  return { all: ticks / CLK_TCK, workers: (after.workers - before.workers) / CLK_TCK };
}

async function phase(browser, url, encrypt) {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => typeof window.startCall === 'function', { timeout: 30_000 });
    const { mode } = await page.evaluate((options) => window.startCall(options), { links: LINKS, encrypt });
    // Every receiver decoding before the warm-up starts.
    await page.waitForFunction(async () => (await window.sample()).decoded.every((n) => n >= 10), { polling: 200, timeout: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, WARMUP_S * 1000));
    const pid = browser.process().pid;
    const [cpu0, page0] = [await treeTicks(pid), await page.evaluate(() => window.sample())];
    await new Promise((resolve) => setTimeout(resolve, MEASURE_S * 1000));
    const [cpu1, page1] = [await treeTicks(pid), await page.evaluate(() => window.sample())];
    await page.evaluate(() => window.stopCall());
    const seconds = (page1.at - page0.at) / 1000;
    const sum = (values) => values.reduce((a, b) => a + b, 0);
    const cpu = cpuSeconds(cpu0, cpu1);
    return {
      ok: true,
      encrypt,
      mode,
      seconds,
      cpu: cpu.all / seconds,
      workerCpu: cpu.workers / seconds,
      decodedPerS: (sum(page1.decoded) - sum(page0.decoded)) / seconds,
      encodedPerS: (page1.encoded - page0.encoded) / seconds,
      encryptedPerS: (page1.encrypted - page0.encrypted) / seconds,
      decryptedPerS: (page1.decrypted - page0.decrypted) / seconds,
      dropped: page1.dropped - page0.dropped,
      resolution: `${page1.width}x${page1.height}`,
    };
  } catch (error) {
    return { ok: false, encrypt, reason: String(error?.message ?? error).split('\n')[0] };
  } finally {
    await page.close().catch(() => {});
  }
}

const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);
const f = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

function report({ runs, chromium, startedAt, elapsedMs, loadBefore, bundleBytes }) {
  const off = runs.filter((r) => r.ok && !r.encrypt);
  const on = runs.filter((r) => r.ok && r.encrypt);
  const avg = (list, key) => mean(list.map((r) => r[key]));
  const row = (label, key, digits = 2, ratio = true) => {
    const [a, b] = [avg(off, key), avg(on, key)];
    return `| ${label} | ${f(a, digits)} | ${f(b, digits)} | ${ratio && a > 0 ? `${f(b / a)}x` : '—'} |`;
  };
  const cpuOff = avg(off, 'cpu');
  const cpuOn = avg(on, 'cpu');
  const framesOn = avg(on, 'encryptedPerS') + avg(on, 'decryptedPerS');
  const perFrameUs = ((cpuOn - cpuOff) / framesOn) * 1e6;
  const workerPerFrameUs = (avg(on, 'workerCpu') / framesOn) * 1e6;

  const table = [
    '| per second of wall time | off | on | ratio (on / off) |',
    '| :-- | --: | --: | --: |',
    row('browser CPU (cores busy, all processes)', 'cpu'),
    row('of which dedicated-worker threads', 'workerCpu'),
    row('video frames encoded (all links)', 'encodedPerS', 1),
    row('video frames decoded (all links)', 'decodedPerS', 1),
    row('frames encrypted (audio + video)', 'encryptedPerS', 1, false),
    row('frames decrypted (audio + video)', 'decryptedPerS', 1, false),
  ];
  const lines = runs.map((r, i) =>
    r.ok
      ? `- phase ${i + 1} ${r.encrypt ? `on (${r.mode})` : 'off'}: CPU ${f(r.cpu)} cores, workers ${f(r.workerCpu)}, ` +
        `${f(r.decodedPerS, 1)} decoded/s, ${f(r.encryptedPerS, 1)} encrypted/s, ${f(r.decryptedPerS, 1)} decrypted/s, ` +
        `${r.dropped} dropped, inbound ${r.resolution}, ${f(r.seconds, 1)} s`
      : `- phase ${i + 1} ${r.encrypt ? 'on' : 'off'}: FAILED (${r.reason})`,
  );
  const cpus = os.cpus().length;
  const notes = [
    `Extra CPU per encrypted or decrypted frame: ${f(perFrameUs, 0)} µs (difference of the means, so noisy); ` +
      `the workers alone: ${f(workerPerFrameUs, 0)} µs per frame.`,
    `FrameCrypto bundle (rollup + terser, as the CDN build): ${bundleBytes} bytes.`,
  ];
  if (on.some((r) => r.dropped > 0)) notes.push('Some frames were dropped with encryption on (see the phases).');
  if (loadBefore > cpus / 2) {
    notes.push(
      `The machine was already busy (1-min load average ${loadBefore.toFixed(1)} on ${cpus} CPUs): ` +
        'frame rates may be lower and figures noisier; alternating off and on spreads the disturbance over both.',
    );
  }
  const environment =
    `${startedAt.toISOString()} · ${chromium} headless · Node ${process.version} · ${cpus} CPU(s), load average ` +
    `${loadBefore.toFixed(1)} before · ${LINKS} loopback link(s) of 640x480 camera + microphone · ${ROUNDS} round(s) of off/on, ` +
    `${MEASURE_S} s measured per phase after ${WARMUP_S} s warm-up · ${f(elapsedMs / 1000, 0)} s total`;

  const markdown = [
    '# E2EE (SFrame) CPU benchmark',
    '',
    `${LINKS} loopback link(s) in one page, each sending and receiving 640x480 camera video and audio,`,
    'with FrameCrypto (SFrame, AES_128_GCM_SHA256_128, in workers) off and on. Means over the phases.',
    'Produced by `npm run bench:e2ee`.',
    '',
    ...table,
    '',
    '## Phases (in run order)',
    '',
    ...lines,
    '',
    '## Notes',
    '',
    ...notes.map((n) => `- ${n}`),
    '',
    `_${environment}_`,
    '',
  ].join('\n');
  return { markdown, failed: off.length === 0 || on.length === 0 };
}

async function main() {
  const startedAt = new Date();
  const loadBefore = os.loadavg()[0];
  const cleanups = [];
  const cleanup = async () => {
    while (cleanups.length) await cleanups.pop()().catch(() => {});
  };
  const watchdog = setTimeout(async () => {
    console.error(`bench:e2ee: still running after ${TOTAL_TIMEOUT_MS / 1000} s, giving up`);
    await cleanup();
    process.exit(1);
  }, TOTAL_TIMEOUT_MS);

  try {
    const moduleCode = await bundleFrameCrypto();
    const server = await startPageServer(moduleCode);
    cleanups.push(server.close);
    const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    cleanups.push(async () => {
      const closed = browser.close().then(() => true, () => false);
      const timeout = new Promise((resolve) => setTimeout(() => resolve(false), 10_000));
      if (!(await Promise.race([closed, timeout]))) browser.process()?.kill('SIGKILL');
    });
    const chromium = await browser.version();

    const runs = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const encrypt of round % 2 ? [true, false] : [false, true]) {
        const run = await phase(browser, server.url, encrypt);
        runs.push(run);
        console.log(
          run.ok
            ? `round ${round + 1} ${encrypt ? 'on ' : 'off'}: CPU ${f(run.cpu)} cores (workers ${f(run.workerCpu)}), ` +
                `${f(run.decodedPerS, 1)} decoded/s, ${f(run.encryptedPerS, 1)} encrypted/s, ${run.dropped} dropped`
            : `round ${round + 1} ${encrypt ? 'on ' : 'off'}: FAILED (${run.reason})`,
        );
      }
    }

    const out = report({
      runs,
      chromium,
      startedAt,
      elapsedMs: Date.now() - startedAt.getTime(),
      loadBefore,
      bundleBytes: Buffer.byteLength(moduleCode),
    });
    console.log(out.markdown);
    const file = path.join(here, 'results', 'e2ee.md');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, out.markdown);
    console.log(`Written to ${path.relative(root, file)}`);
    if (out.failed) process.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

await main();
process.exit();
