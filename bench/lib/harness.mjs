// What every benchmark shares: the servers (the `npm start` server with its broker, and a
// server for the raw PeerJS pages), one headless Chromium with fake devices, participants as
// browser contexts, CPU time of the browser's process tree from /proc, a watchdog that stops
// everything by a deadline, and cleanup in reverse order whatever happens.
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer';
import { startServer } from '../../server/app.mjs';
import { CHROMIUM_ARGS } from '../../test/plugins/participants.mjs';

export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const root = path.resolve(benchDir, '..');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function mean(values) {
  const finite = values.filter(Number.isFinite);
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
}

/** A number for a table: fixed digits, or a dash when there is none. */
export const num = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

/**
 * Runs `body(ctx)` with a deadline: past `timeLimitMs` everything registered with
 * `ctx.onCleanup` is undone (newest first) and the process exits 1. Resolves with body's value.
 */
export async function withDeadline(name, timeLimitMs, body) {
  const cleanups = [];
  const cleanup = async () => {
    while (cleanups.length) await cleanups.pop()().catch(() => {});
  };
  const watchdog = setTimeout(async () => {
    console.error(`${name}: still running after ${Math.round(timeLimitMs / 1000)} s, giving up`);
    await cleanup();
    process.exit(1);
  }, timeLimitMs);
  try {
    return await body({ onCleanup: (fn) => cleanups.push(fn), deadline: Date.now() + timeLimitMs });
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

/** Launches Debian's Chromium (fake camera and microphone); a wedged one is killed on cleanup. */
export async function launchChromium(ctx) {
  const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, protocolTimeout: 60_000 });
  ctx.onCleanup(async () => {
    const closed = browser.close().then(() => true, () => false);
    if (!(await Promise.race([closed, sleep(10_000).then(() => false)]))) browser.process()?.kill('SIGKILL');
  });
  return browser;
}

/** The `npm start` server (demo pages, the CDN bundle and its chunks, the PeerServer). */
export async function startApp(ctx) {
  const app = await startServer({ port: 0, host: '127.0.0.1' });
  ctx.onCleanup(app.close);
  return app;
}

/** Serves bench/raw/ (the raw PeerJS pages) and PeerJS's own UMD build at /peerjs.min.js. */
export async function startRawServer(ctx) {
  const rawDir = path.join(benchDir, 'raw');
  const files = new Map();
  for (const name of await readdir(rawDir)) {
    const type = name.endsWith('.html') ? 'text/html' : 'text/javascript';
    files.set(`/${name}`, [type, await readFile(path.join(rawDir, name))]);
  }
  files.set('/peerjs.min.js', ['text/javascript', await readFile(path.join(root, 'node_modules/peerjs/dist/peerjs.min.js'))]);
  const server = http.createServer((req, res) => {
    const found = files.get(new URL(req.url, 'http://x').pathname);
    if (!found) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': found[0], 'content-length': found[1].length }).end(found[1]);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  ctx.onCleanup(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  );
  return `http://127.0.0.1:${server.address().port}`;
}

/** Opens `n` pages, each in a browser context of its own, with `setup` run before their scripts. */
export async function openParticipants(browser, n, setup, arg) {
  const contexts = await Promise.all(Array.from({ length: n }, () => browser.createBrowserContext()));
  const close = () => Promise.all(contexts.map((context) => context.close().catch(() => {})));
  try {
    const pages = await Promise.all(contexts.map((context) => context.newPage()));
    if (setup) await Promise.all(pages.map((page) => page.evaluateOnNewDocument(setup, arg)));
    return { pages, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** `/proc/<pid>/stat` after the command name: [state, ppid, …]; utime and stime are fields 14 and 15. */
async function readStat(file) {
  const text = await readFile(file, 'utf8');
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
}

/** CPU ticks of every process under `rootPid`, and of its dedicated-worker threads. */
export async function treeTicks(rootPid) {
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
export function cpuSeconds(before, after) {
  let ticks = 0;
  for (const [pid, end] of after.perPid) ticks += end - (before.perPid.get(pid) ?? 0);
  return { all: ticks / CLK_TCK, workers: (after.workers - before.workers) / CLK_TCK };
}

/** The machine, for the report's footer. */
export function environment(chromium, startedAt, loadBefore) {
  return `${startedAt.toISOString()} · ${chromium} headless · Node ${process.version} · ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model.trim()}), 1-min load average ${loadBefore.toFixed(1)} before`;
}
