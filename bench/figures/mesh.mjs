// The mesh: join time (page load until every remote video has decoded frames, the slowest
// participant; medians of several runs) for 2, 4 and 6 participants; then, in the last run of
// each, the call measured: browser CPU seconds per participant per minute, and each
// participant's upstream and downstream bitrate from getStats() (the element's mesh-aware caps
// at work), with the frames decoded per second of each remote video. Last, the CPU floor of
// the largest mesh: raw PeerJS with next to no video.
import { median, num, sleep } from '../lib/harness.mjs';
import { KINDS, LABEL, measureCall, startCall } from '../lib/call.mjs';
import { barChart } from '../lib/chart.mjs';

/** Participants, and runs of each. */
const SIZES = (process.env.BENCH_SIZES ?? '2,4,6').split(',').map(Number);
const RUNS = { 2: 5, 4: 5, 6: 3 };
const TIMEOUT_MS = { 2: 20_000, 4: 30_000, 6: 60_000 };
/** After joining: bandwidth estimation and the caps settle before the call is measured. */
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 6);
const MEASURE_S = Number(process.env.BENCH_MEASURE_S ?? 12);

const JOIN_GOAL = { 2: { max: 1.1, text: '≤ 1.1×' }, 4: { max: 1.1, text: '≤ 1.1×' }, 6: { max: 0.5, text: '< 0.5× (less than half)' } };
const CPU_GOAL = { 6: { max: 0.5, text: '≤ 0.5×' } };

/** A page setup (run before the page's scripts) that asks every camera for next to no video. */
function tinyCamera() {
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) => getUserMedia({ ...constraints, video: { width: 160, height: 90, frameRate: 2 } });
}

const verdict = (ratio, goal) => (goal ? `${goal.text}: ${Number.isFinite(ratio) && ratio <= goal.max ? '**met**' : '**not met**'}` : '');

export async function meshFigures({ browser, urls, log }) {
  const join = {};
  const calls = {};
  const failures = [];
  for (const n of SIZES) {
    join[n] = { element: [], raw: [] };
    const runs = RUNS[n] ?? 3;
    for (let run = 0; run < runs; run++) {
      const last = run === runs - 1;
      for (const kind of run % 2 ? ['raw', 'element'] : ['element', 'raw']) {
        const call = await startCall(browser, urls, { kind, n, timeoutMs: TIMEOUT_MS[n] ?? 60_000 });
        if (!call.ok) {
          failures.push(`n=${n} ${LABEL[kind]} run ${run + 1}: ${call.reason}`);
          log(`n=${n} run ${run + 1}/${runs} ${LABEL[kind]}: FAILED (${call.reason})`);
          continue;
        }
        join[n][kind].push(call.joinMs);
        log(`n=${n} run ${run + 1}/${runs} ${LABEL[kind]}: joined in ${num(call.joinMs)} ms`);
        try {
          if (last) {
            await sleep(WARMUP_S * 1000);
            calls[`${n}:${kind}`] = await measureCall(browser, call.pages, MEASURE_S);
            const m = calls[`${n}:${kind}`];
            log(`n=${n} ${LABEL[kind]}: ${num(m.cpuPerParticipantMin, 1)} CPU s/participant/min, up ${num(m.upKbps)} kbit/s, down ${num(m.downKbps)} kbit/s`);
          }
        } finally {
          await call.close();
        }
      }
    }
  }

  // The floor under the CPU goal: the largest mesh with next to no video (raw PeerJS, its camera
  // asked for 160×90 at 2 frames a second), so only audio, the connections and the pages remain.
  const floorN = Math.max(...SIZES);
  let floor = NaN;
  const floorCall = await startCall(browser, urls, { kind: 'raw', n: floorN, timeoutMs: TIMEOUT_MS[floorN] ?? 60_000, setup: tinyCamera });
  if (floorCall.ok) {
    try {
      await sleep(WARMUP_S * 1000);
      floor = (await measureCall(browser, floorCall.pages, MEASURE_S)).cpuPerParticipantMin;
      log(`n=${floorN} raw PeerJS, 160×90 at 2 fps: ${num(floor, 1)} CPU s/participant/min`);
    } finally {
      await floorCall.close();
    }
  } else failures.push(`n=${floorN} raw PeerJS at 160×90, 2 fps: ${floorCall.reason}`);

  const joinRows = SIZES.map((n) => {
    const [e, r] = [median(join[n].element), median(join[n].raw)];
    return { n, e, r, ratio: e / r };
  });
  const call = (n, kind) => calls[`${n}:${kind}`] ?? {};
  const cpuRows = SIZES.map((n) => {
    const [e, r] = [call(n, 'element').cpuPerParticipantMin, call(n, 'raw').cpuPerParticipantMin];
    return { n, e, r, ratio: e / r };
  });
  const goals = [
    ...joinRows.filter((row) => JOIN_GOAL[row.n]).map((row) => ({ name: `join time at ${row.n}: ${JOIN_GOAL[row.n].text} raw PeerJS`, ratio: row.ratio, met: row.ratio <= JOIN_GOAL[row.n].max })),
    ...cpuRows.filter((row) => CPU_GOAL[row.n]).map((row) => ({ name: `CPU per participant at ${row.n}: ${CPU_GOAL[row.n].text} raw PeerJS`, ratio: row.ratio, met: row.ratio <= CPU_GOAL[row.n].max })),
  ];
  const samples = SIZES.flatMap((n) => KINDS.map((kind) => `- n=${n} \`${LABEL[kind]}\`: ${join[n][kind].map((ms) => num(ms)).join(', ') || 'none'} ms`));

  const joinMd = [
    `Page load until every remote video has decoded frames, the slowest participant of a run; medians of ${SIZES.map((n) => `${RUNS[n] ?? 3} runs at ${n}`).join(', ')},`,
    'element and raw PeerJS alternating. At 6 the goal is a mesh fully connected in less than half the time raw PeerJS needs.',
    '',
    '| participants | `<video-room>` | raw PeerJS | ratio | goal |',
    '| --: | --: | --: | --: | :-- |',
    ...joinRows.map((row) => `| ${row.n} | ${num(row.e)} ms | ${num(row.r)} ms | ${num(row.ratio, 2)}× | ${verdict(row.ratio, JOIN_GOAL[row.n])} |`),
    '',
    'Runs (ms, in order):',
    '',
    ...samples,
  ].join('\n');
  const cpuMd = [
    `Browser CPU time (every process of the one Chromium, from /proc) over ${MEASURE_S} s of the last run's call, after ${WARMUP_S} s`,
    'of warm-up, per participant per minute of call.',
    '',
    '| participants | `<video-room>` | raw PeerJS | ratio | goal |',
    '| --: | --: | --: | --: | :-- |',
    ...cpuRows.map((row) => `| ${row.n} | ${num(row.e, 1)} s | ${num(row.r, 1)} s | ${num(row.ratio, 2)}× | ${verdict(row.ratio, CPU_GOAL[row.n])} |`),
    '',
    `The floor: raw PeerJS's ${floorN}-person mesh with its camera asked for 160×90 at 2 frames a second, so that only audio, the`,
    `connections and the pages are left: ${num(floor, 1)} s per participant-minute, ${num(floor / call(floorN, 'raw').cpuPerParticipantMin, 2)}× raw PeerJS with full video.`,
  ].join('\n');
  const bitrateMd = [
    'Per participant, from `getStats()` (RTP bytes of every connection, audio and video) over the same window; and the',
    'frames each remote video decoded per second, with the largest video sent and received.',
    '',
    '| participants | `<video-room>` up | raw up | ratio | `<video-room>` down | raw down | ratio | fps per remote (element / raw) | largest video (element / raw) |',
    '| --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...SIZES.map((n) => {
      const [e, r] = [call(n, 'element'), call(n, 'raw')];
      return `| ${n} | ${num(e.upKbps)} kbit/s | ${num(r.upKbps)} kbit/s | ${num(e.upKbps / r.upKbps, 2)}× | ${num(e.downKbps)} kbit/s | ${num(r.downKbps)} kbit/s | ${num(e.downKbps / r.downKbps, 2)}× | ${num(e.fpsPerRemote, 1)} / ${num(r.fpsPerRemote, 1)} | ${e.width ?? '—'}×${e.height ?? '—'} / ${r.width ?? '—'}×${r.height ?? '—'} |`;
    }),
  ].join('\n');

  const series = ['<video-room>', 'raw PeerJS'];
  const groups = (pick) => SIZES.map((n) => ({ label: `${n} participants`, values: pick(n) }));
  return [
    {
      title: 'Join time',
      ok: SIZES.every((n) => join[n].element.length && join[n].raw.length),
      goals: goals.filter((g) => g.name.startsWith('join')),
      failures,
      markdown: joinMd,
      charts: [{ file: 'join.svg', svg: barChart({ title: 'Join time (median ms)', unit: 'ms', series, groups: groups((n) => [median(join[n].element), median(join[n].raw)]) }) }],
    },
    {
      title: 'CPU',
      ok: SIZES.every((n) => Number.isFinite(call(n, 'element').cpuPerParticipantMin) && Number.isFinite(call(n, 'raw').cpuPerParticipantMin)),
      goals: goals.filter((g) => g.name.startsWith('CPU')),
      markdown: cpuMd,
      charts: [
        {
          file: 'cpu.svg',
          svg: barChart({ title: 'Browser CPU seconds per participant per minute', unit: 'CPU s', series, groups: groups((n) => [call(n, 'element').cpuPerParticipantMin, call(n, 'raw').cpuPerParticipantMin]), digits: 1 }),
        },
      ],
    },
    {
      title: 'Bitrate',
      ok: SIZES.every((n) => Number.isFinite(call(n, 'element').upKbps) && Number.isFinite(call(n, 'raw').upKbps)),
      goals: [],
      markdown: bitrateMd,
      charts: [
        { file: 'upstream.svg', svg: barChart({ title: 'Upstream per participant (kbit/s)', unit: 'kbit/s', series, groups: groups((n) => [call(n, 'element').upKbps, call(n, 'raw').upKbps]) }) },
        { file: 'downstream.svg', svg: barChart({ title: 'Downstream per participant (kbit/s)', unit: 'kbit/s', series, groups: groups((n) => [call(n, 'element').downKbps, call(n, 'raw').downKbps]) }) },
      ],
    },
  ];
}
