// `npm run bench`: every browser benchmark in one bounded run, on loopback, one broker (the
// `npm start` server's), participants as browser contexts of Debian's headless Chromium with
// fake devices; the element and the plainest PeerJS mesh side by side. Writes bench/results.md
// with a table per figure (element, raw PeerJS, ratio, the goal it answers) and an SVG chart per
// figure in bench/results/. It measures and reports; the goals are checked by reading it.
//
// `npm run bench -- join` (or weight, e2ee, sfu) runs only some figures. BENCH_SIZES=2,4 and the
// other BENCH_* variables of the figure modules shorten a run for a quick look.
import os from 'node:os';
import path from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { benchDir, environment, launchChromium, startApp, startRawServer, withDeadline } from './lib/harness.mjs';
import { weightFigure } from './figures/weight.mjs';
import { meshFigures } from './figures/mesh.mjs';
import { e2eeFigure } from './figures/e2ee.mjs';
import { sfuFigure } from './figures/sfu.mjs';

/** The whole run stops by then, whatever hangs (the figures take about 10 minutes on 2 cores). */
const TIME_LIMIT_MS = 15 * 60_000;
const FIGURES = { weight: weightFigure, join: meshFigures, e2ee: e2eeFigure, sfu: sfuFigure };
const chosen = process.argv.slice(2).filter((name) => name in FIGURES);
const names = chosen.length ? chosen : Object.keys(FIGURES);

const startedAt = new Date();
const loadBefore = os.loadavg()[0];
const log = (line) => console.log(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3)} s] ${line}`);

const results = await withDeadline('bench', TIME_LIMIT_MS, async (ctx) => {
  const app = await startApp(ctx);
  const raw = await startRawServer(ctx);
  const browser = await launchChromium(ctx);
  const urls = { app: app.url, raw, peerPort: app.port };
  const chromium = await browser.version();
  const figures = [];
  for (const name of names) {
    log(`figure: ${name}`);
    const out = await FIGURES[name]({ browser, urls, log });
    figures.push(...(Array.isArray(out) ? out : [out]));
  }
  return { figures, chromium };
});

const elapsedS = (Date.now() - startedAt.getTime()) / 1000;
const { figures, chromium } = results;
const goals = figures.flatMap((f) => f.goals);
const fmtRatio = (ratio) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—');
const markdown = [
  '# Benchmarks',
  '',
  '`<video-room>` against the plainest PeerJS mesh (`bench/raw/`), in the same run and the same browser. Produced by',
  '`npm run bench`; what was profiled and changed is in `bench/NOTES.md`.',
  '',
  '## Goals',
  '',
  '| goal | measured ratio | |',
  '| :-- | --: | :-- |',
  ...goals.map((g) => `| ${g.name} | ${g.value ?? fmtRatio(g.ratio)} | ${g.met ? 'met' : '**not met**'} |`),
  '',
  ...figures.flatMap((f) => [
    `## ${f.title}`,
    '',
    f.markdown,
    '',
    ...f.charts.map((c) => `![${f.title}](results/${c.file})`),
    ...(f.failures?.length ? ['', 'Failed runs:', '', ...f.failures.map((line) => `- ${line}`)] : []),
    '',
  ]),
  `_${environment(chromium, startedAt, loadBefore)} · ${elapsedS.toFixed(0)} s in all_`,
  '',
].join('\n');

await mkdir(path.join(benchDir, 'results'), { recursive: true });
for (const figure of figures) for (const chart of figure.charts) await writeFile(path.join(benchDir, 'results', chart.file), chart.svg);
// A partial run (some figures only) writes its own file, so it does not overwrite the full report.
const file = path.join(benchDir, chosen.length ? `results-${chosen.join('-')}.md` : 'results.md');
await writeFile(file, markdown);
console.log(`\n${goals.map((g) => `${g.met ? 'met    ' : 'NOT MET'} ${g.name}: ${g.value ?? fmtRatio(g.ratio)}`).join('\n')}`);
console.log(`Written to ${path.relative(process.cwd(), file)} in ${elapsedS.toFixed(0)} s`);
if (figures.some((f) => !f.ok)) process.exitCode = 1;
// The stock PeerServer leaves timers running after its HTTP server closes: everything is closed, so leave.
process.exit();
