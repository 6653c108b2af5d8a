// `npm run bench:join`: how long from page load until every remote video shows decoded frames,
// for <video-room> (the CDN bundle on the demo page) and for the plainest PeerJS mesh
// (bench/raw-peerjs.html), with 2 and 4 participants, in the same browser and the same run.
// The team's goal: the element within 1.1x of raw PeerJS. This only measures and reports.
//
// Every participant is its own browser context of one headless Chromium (fake camera and
// microphone). All pages of a run are loaded at once; each page measures itself with the same
// injected probe, relative to its own navigation start (performance.now()), and a run's join
// time is the slowest participant's. Medians over RUNS runs per configuration, element and raw
// alternating so that machine load hits both alike. Everything talks to 127.0.0.1 only.
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer';
import { startServer } from '../server/app.mjs';
import { CHROMIUM_ARGS } from '../test/plugins/participants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

// BENCH_SIZES=2,4 and BENCH_RUNS=5 (the defaults) can be overridden for a quick look.
const SIZES = (process.env.BENCH_SIZES ?? '2,4').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** A run that has not joined by then is counted as failed (and reported), not waited for. */
const RUN_TIMEOUT_MS = 30_000;
/** Hard stop for the whole benchmark, whatever hangs. */
const TOTAL_TIMEOUT_MS = 5 * 60_000;
const GOAL = 1.1;
const KINDS = /** @type {const} */ (['element', 'raw']);
const LABEL = { element: '<video-room>', raw: 'raw PeerJS' };

/**
 * Injected into every page before its own scripts (serialized, so self-contained). Watches the
 * page's remote videos and sets `window.__joinBench.doneAt` (ms since navigation start) when
 * `expected` of them have presented a frame.
 *
 * A video counts from its first requestVideoFrameCallback tick, or, if that was missed because
 * the probe found the video late, from the first 10 ms poll that sees
 * getVideoPlaybackQuality().totalVideoFrames > 0. If a video's srcObject is replaced, it starts
 * over: what counts is the stream it ends up showing.
 */
function probe({ kind, expected }) {
  const state = (window.__joinBench = { expected, doneAt: null, decoded: 0, remoteVideos: 0 });
  /** @type {WeakMap<HTMLVideoElement, { source: MediaProvider | null, at: number | null }>} */
  const seen = new WeakMap();

  const remoteVideos = () =>
    kind === 'element'
      ? [
          ...(document
            .querySelector('video-room')
            ?.shadowRoot?.querySelectorAll('[part~="tile"]:not([part~="local"]) video') ?? []),
        ]
      : [...document.querySelectorAll('video.remote')];

  const track = (video) => {
    let entry = seen.get(video);
    if (!entry || entry.source !== video.srcObject) {
      const fresh = { source: video.srcObject, at: null };
      entry = fresh;
      seen.set(video, fresh);
      if (fresh.source) {
        video.requestVideoFrameCallback(() => {
          if (fresh.at === null && seen.get(video) === fresh) fresh.at = performance.now();
        });
      }
    }
    if (entry.at === null && entry.source && video.getVideoPlaybackQuality().totalVideoFrames > 0) {
      entry.at = performance.now();
    }
    return entry;
  };

  const timer = setInterval(() => {
    const videos = remoteVideos();
    const times = videos.map(track).flatMap((entry) => (entry.at === null ? [] : [entry.at]));
    state.remoteVideos = videos.length;
    state.decoded = times.length;
    if (times.length >= expected) {
      state.doneAt = Math.max(...times);
      clearInterval(timer);
    }
  }, 10);
}

/** Serves the raw PeerJS page, its script and the PeerJS UMD build; nothing else. */
async function startRawServer() {
  const files = {
    '/raw-peerjs.html': ['text/html', path.join(here, 'raw-peerjs.html')],
    '/raw-peerjs.js': ['text/javascript', path.join(here, 'raw-peerjs.js')],
    '/peerjs.min.js': ['text/javascript', path.join(root, 'node_modules/peerjs/dist/peerjs.min.js')],
  };
  // Three small files that do not change during the benchmark: read once, served from memory.
  const bodies = new Map();
  for (const [route, [type, file]] of Object.entries(files)) bodies.set(route, [type, await readFile(file)]);

  const server = http.createServer((req, res) => {
    const found = bodies.get(new URL(req.url, 'http://x').pathname);
    if (!found) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': found[0], 'content-length': found[1].length }).end(found[1]);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

/** One run: `n` participants of `kind` join a fresh room. Never throws; reports failures. */
async function runOnce(browser, urls, kind, n) {
  const tag = randomBytes(4).toString('hex');
  const pageUrl = (i) =>
    kind === 'element'
      ? `${urls.app}/?${new URLSearchParams({ room: `bench-${tag}`, name: `P${i}` })}&autojoin`
      : `${urls.raw}/raw-peerjs.html?${new URLSearchParams({ port: String(urls.peerPort), run: tag, i: String(i) })}`;

  const contexts = await Promise.all(Array.from({ length: n }, () => browser.createBrowserContext()));
  try {
    const pages = await Promise.all(contexts.map((context) => context.newPage()));
    await Promise.all(pages.map((page) => page.evaluateOnNewDocument(probe, { kind, expected: n - 1 })));

    const deadline = Date.now() + RUN_TIMEOUT_MS;
    // All at once: page i may be up before page j < i it calls, as in a real meeting.
    await Promise.all(pages.map((page, i) => page.goto(pageUrl(i), { timeout: RUN_TIMEOUT_MS })));
    try {
      await Promise.all(
        pages.map((page) =>
          page.waitForFunction(() => window.__joinBench?.doneAt != null, {
            polling: 50,
            timeout: Math.max(1, deadline - Date.now()),
          }),
        ),
      );
    } catch {
      return { ok: false, reason: `timed out after ${RUN_TIMEOUT_MS / 1000} s: ${await diagnose(pages, kind)}` };
    }

    const results = await Promise.all(
      pages.map((page) =>
        page.evaluate(() => ({
          doneAt: window.__joinBench.doneAt,
          timeOrigin: performance.timeOrigin,
          extraVideos: window.__joinBench.remoteVideos - window.__joinBench.expected,
          retries: window.__rawMesh?.retries ?? 0,
        })),
      ),
    );
    const origins = results.map((r) => r.timeOrigin);
    return {
      ok: true,
      ms: Math.max(...results.map((r) => r.doneAt)),
      // How far apart the participants' navigations started (each page measures from its own).
      navSkew: Math.max(...origins) - Math.min(...origins),
      retries: results.reduce((sum, r) => sum + r.retries, 0),
      extraVideos: Math.max(...results.map((r) => r.extraVideos)),
    };
  } catch (error) {
    return { ok: false, reason: String(error?.message ?? error).split('\n')[0] };
  } finally {
    await Promise.all(contexts.map((context) => context.close().catch(() => {})));
  }
}

/** What each page of a stuck run got as far as, for the report. */
async function diagnose(pages, kind) {
  const states = await Promise.all(
    pages.map((page) =>
      page
        .evaluate((kind) => {
          const bench = window.__joinBench ?? {};
          const frames = `${bench.decoded}/${bench.expected} decoded of ${bench.remoteVideos} videos`;
          const el = document.querySelector('video-room');
          const videos =
            kind === 'element'
              ? [...(el?.shadowRoot?.querySelectorAll('[part~="tile"]:not([part~="local"]) video') ?? [])]
              : [...document.querySelectorAll('video.remote')];
          // Why a video has no frames: no stream, no live video track, hidden, paused, …
          const detail = videos
            .map((video) => {
              const track = video.srcObject?.getVideoTracks?.()[0];
              const flags = [
                video.srcObject ? '' : 'no stream',
                track ? `track ${track.readyState}${track.muted ? ' muted' : ''}` : 'no video track',
                video.hidden ? 'hidden' : '',
                video.paused ? 'paused' : '',
                `readyState ${video.readyState}`,
                `${video.getVideoPlaybackQuality().totalVideoFrames} frames`,
              ];
              return `[${flags.filter(Boolean).join(', ')}]`;
            })
            .join(' ');
          if (kind === 'element') {
            return `${el?.state}, ${el?.participants?.length ?? 0} participants, ${frames} ${detail}`;
          }
          const errors = window.__rawMesh?.errors ?? [];
          return `${frames} ${detail}${errors.length ? `, errors: ${errors.join('; ')}` : ''}`;
        }, kind)
        .catch((error) => `unreadable (${error.message})`),
    ),
  );
  return states.map((state, i) => `P${i}: ${state}`).join(' | ');
}

function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (ms) => (Number.isFinite(ms) ? String(Math.round(ms)) : '—');

function report({ samples, chromium, startedAt, elapsedMs, loadBefore }) {
  const rows = SIZES.map((n) => {
    const element = median(samples[n].element.filter((s) => s.ok).map((s) => s.ms));
    const raw = median(samples[n].raw.filter((s) => s.ok).map((s) => s.ms));
    return { n, element, raw, ratio: element / raw };
  });
  const ratio = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '—');
  const verdict = (r) => (!Number.isFinite(r) ? '' : r <= GOAL ? 'within goal' : 'over goal');

  const table = [
    '| participants | element median ms | raw PeerJS median ms | ratio (element / raw) |',
    '| -----------: | ----------------: | -------------------: | --------------------: |',
    ...rows.map((r) => `| ${r.n} | ${fmt(r.element)} | ${fmt(r.raw)} | ${ratio(r.ratio)} ${verdict(r.ratio)} |`),
  ];

  const sampleLines = [];
  const notes = [];
  for (const n of SIZES) {
    for (const kind of KINDS) {
      const list = samples[n][kind];
      const shown = list.map((s) => (s.ok ? fmt(s.ms) : 'FAIL')).join(', ');
      sampleLines.push(`- n=${n} ${LABEL[kind]}: ${shown}`);
      list.forEach((s, i) => {
        if (!s.ok) notes.push(`n=${n} ${LABEL[kind]} run ${i + 1} failed: ${s.reason}`);
        else {
          if (s.retries) notes.push(`n=${n} ${LABEL[kind]} run ${i + 1}: ${s.retries} call retr(y/ies) after peer-unavailable`);
          if (s.extraVideos > 0) notes.push(`n=${n} ${LABEL[kind]} run ${i + 1}: ${s.extraVideos} more remote video(s) than participants`);
        }
      });
    }
  }
  const skews = SIZES.flatMap((n) => KINDS.flatMap((kind) => samples[n][kind].filter((s) => s.ok).map((s) => s.navSkew)));
  if (skews.length) notes.push(`navigation start skew between participants of a run: max ${fmt(Math.max(...skews))} ms`);

  // Both kinds share the machine alike, but anything else running makes the numbers noisier.
  // Only flagged above one per CPU: `npm run build` just before always adds a little.
  const cpus = os.cpus().length;
  if (loadBefore > cpus) {
    notes.push(`the machine was already busy before the benchmark (1-min load average ${loadBefore.toFixed(1)} on ${cpus} CPUs)`);
  }
  const environment =
    `${startedAt.toISOString()} · ${chromium} headless · Node ${process.version} · ${cpus} CPU(s), ` +
    `load average ${loadBefore.toFixed(1)} before · ${RUNS} run(s) per configuration · ${fmt(elapsedMs / 1000)} s total`;

  const text = [
    '',
    'Join time: page load -> every remote video has decoded frames (slowest participant; medians)',
    '',
    ...table,
    '',
    'Samples (ms, in run order):',
    ...sampleLines,
    ...(notes.length ? ['', 'Notes:', ...notes.map((n) => `- ${n}`)] : []),
    '',
    environment,
    '',
  ].join('\n');

  // Markdown would take <video-room> for an HTML tag and drop it.
  const md = (line) => line.replaceAll(LABEL.element, `\`${LABEL.element}\``);
  const markdown = [
    '# Join benchmark',
    '',
    'Time from page load until every remote video has decoded frames, per run the slowest',
    `participant; medians. Goal: element within ${GOAL}x of raw PeerJS. Produced by \`npm run bench:join\`.`,
    '',
    ...table,
    '',
    '## Samples (ms, in run order)',
    '',
    ...sampleLines.map(md),
    ...(notes.length ? ['', '## Notes', '', ...notes.map((n) => md(`- ${n}`))] : []),
    '',
    `_${environment}_`,
    '',
  ].join('\n');

  return { text, markdown };
}

async function main() {
  const startedAt = new Date();
  const loadBefore = os.loadavg()[0];
  const cleanups = [];
  const cleanup = async () => {
    while (cleanups.length) await cleanups.pop()().catch(() => {});
  };
  const watchdog = setTimeout(async () => {
    console.error(`bench:join: still running after ${TOTAL_TIMEOUT_MS / 1000} s, giving up`);
    await cleanup();
    process.exit(1);
  }, TOTAL_TIMEOUT_MS);

  try {
    const app = await startServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(app.close);
    const raw = await startRawServer();
    cleanups.push(raw.close);
    const urls = { app: app.url, raw: raw.url, peerPort: app.port };

    const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    cleanups.push(async () => {
      // A wedged browser must not keep the benchmark alive: kill the one we launched.
      const closed = browser.close().then(() => true, () => false);
      const timeout = new Promise((resolve) => setTimeout(() => resolve(false), 10_000));
      if (!(await Promise.race([closed, timeout]))) browser.process()?.kill('SIGKILL');
    });
    const chromium = await browser.version();

    // Warm-up, not counted: the first run of each kind pays for cold caches (code compilation,
    // the fake capture device, the PeerServer's first sockets).
    for (const kind of KINDS) {
      const s = await runOnce(browser, urls, kind, 2);
      console.log(`warm-up ${LABEL[kind]} n=2: ${s.ok ? `${fmt(s.ms)} ms` : `FAIL (${s.reason})`}`);
    }

    const samples = Object.fromEntries(SIZES.map((n) => [n, { element: [], raw: [] }]));
    for (const n of SIZES) {
      for (let run = 0; run < RUNS; run++) {
        // Alternate which goes first too, so neither always runs right after the other.
        const order = run % 2 ? ['raw', 'element'] : ['element', 'raw'];
        for (const kind of order) {
          const s = await runOnce(browser, urls, kind, n);
          samples[n][kind].push(s);
          console.log(`n=${n} run ${run + 1}/${RUNS} ${LABEL[kind]}: ${s.ok ? `${fmt(s.ms)} ms` : `FAIL (${s.reason})`}`);
        }
      }
    }

    const out = report({ samples, chromium, startedAt, elapsedMs: Date.now() - startedAt.getTime(), loadBefore });
    console.log(out.text);
    const file = path.join(here, 'results', 'join.md');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, out.markdown);
    console.log(`Written to ${path.relative(root, file)}`);

    const failed = SIZES.some((n) => KINDS.some((kind) => !samples[n][kind].some((s) => s.ok)));
    if (failed) process.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

await main();
// The stock PeerServer leaves timers running after its HTTP server closes (message expiry,
// broken-connection checks), which would keep Node alive: everything is closed, so leave.
process.exit();
