// Media through the SFU: `<video-room>` with `sfu-threshold="always"` (each page sends its media
// up once to Janus and takes every other's down on one connection, every frame SFrame-encrypted)
// beside raw PeerJS's full mesh of as many participants, in the same run: the time until every
// page decodes every remote video, browser CPU per participant (Janus's own given apart), and the
// slowest remote video's frame rate. Janus runs in a network namespace of its own, as in the
// tests (it offers no loopback candidates), behind the `npm start` server's proxy.
import { startServer } from '../../server/app.mjs';
import { startTestJanus } from '../../test/plugins/janus.mjs';
import { median, num, sleep } from '../lib/harness.mjs';
import { cameraOnly, LABEL, measureCall, startCall } from '../lib/call.mjs';
import { barChart } from '../lib/chart.mjs';

const SIZES = (process.env.BENCH_SFU_SIZES ?? '6,10').split(',').map(Number);
const RUNS = { 6: 3, 10: 1 };
const TIMEOUT_MS = { 6: 60_000, 10: 90_000 };
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 6);
const MEASURE_S = Number(process.env.BENCH_MEASURE_S ?? 12);
/**
 * At 10 both ask for `low` video (320×180 at 15 frames a second), the element by its attribute,
 * raw PeerJS by its constraints; and no microphone: ten pages' audio (capture, echo cancellation,
 * 90 Opus decoders, output) alone costs more than two cores have (see bench/NOTES.md).
 */
const LOW_CAMERA_ONLY = { 10: true };
const SFU = 'SFU (`sfu-threshold="always"`)';

export async function sfuFigure({ browser, urls, log }) {
  const started = await startTestJanus();
  if (!started.janus) return [{ title: 'Media through the SFU', ok: false, goals: [], failures: [`no Janus: ${started.reason}`], markdown: `No Janus: ${started.reason}.`, charts: [] }];
  const { janus } = started;
  const app = await startServer({ port: 0, host: '127.0.0.1', media: { janus: janus.url } }).catch(async (error) => {
    await janus.close();
    throw error;
  });
  try {
    return await measure({ browser, urls: { ...urls, app: app.url }, log, janusPid: janus.pid ?? null });
  } finally {
    await app.close();
    await janus.close();
  }
}

async function measure({ browser, urls, log, janusPid }) {
  const join = {};
  const calls = {};
  const failures = [];
  for (const n of SIZES) {
    join[n] = { element: [], raw: [] };
    const runs = RUNS[n] ?? 1;
    for (let run = 0; run < runs; run++) {
      const last = run === runs - 1;
      for (const kind of run % 2 ? ['raw', 'element'] : ['element', 'raw']) {
        const label = kind === 'element' ? SFU : `${LABEL.raw} mesh`;
        const call = await startCall(browser, urls, {
          kind,
          n,
          timeoutMs: TIMEOUT_MS[n] ?? 120_000,
          attributes: { 'sfu-threshold': 'always', 'max-participants': String(Math.max(8, n)), ...(LOW_CAMERA_ONLY[n] ? { 'video-quality': 'low' } : {}) },
          setup: LOW_CAMERA_ONLY[n] ? cameraOnly : null,
          setupArg: kind === 'raw',
          audio: !LOW_CAMERA_ONLY[n],
        });
        if (!call.ok) {
          failures.push(`n=${n} ${label} run ${run + 1}: ${call.reason}`);
          log(`sfu n=${n} run ${run + 1}/${runs} ${label}: FAILED (${call.reason})`);
          continue;
        }
        join[n][kind].push(call.joinMs);
        log(`sfu n=${n} run ${run + 1}/${runs} ${label}: every video decoding in ${num(call.joinMs)} ms`);
        try {
          if (last) {
            await sleep(WARMUP_S * 1000);
            const m = (calls[`${n}:${kind}`] = await measureCall(browser, call.pages, MEASURE_S, kind === 'element' ? janusPid : null));
            log(`sfu n=${n} ${label}: ${num(m.cpuPerParticipantMin, 1)} CPU s/participant/min (Janus ${num(m.serverCpuPerParticipantMin, 2)}), slowest remote video ${num(m.minFps, 1)} fps`);
          }
        } finally {
          await call.close();
        }
      }
    }
  }

  const call = (n, kind) => calls[`${n}:${kind}`] ?? {};
  const rows = SIZES.map((n) => {
    const [je, jr] = [median(join[n].element), median(join[n].raw)];
    const [e, r] = [call(n, 'element'), call(n, 'raw')];
    // Browser CPU per remote video frame decoded: when both saturate the machine, CPU per
    // participant is the machine's share either way, and what differs is what it buys.
    const perFrame = (m) => (m.cpuPerParticipantMin * 1000) / (m.fpsPerRemote * (n - 1) * 60);
    const [fe, fr] = [perFrame(e), perFrame(r)];
    return { n, je, jr, joinRatio: je / jr, e, r, cpuRatio: e.cpuPerParticipantMin / r.cpuPerParticipantMin, fe, fr, frameRatio: fe / fr };
  });
  const goals = rows.flatMap((row) =>
    row.n === 6
      ? [
          { name: 'SFU at 6: room up in < 0.5× raw PeerJS mesh', ratio: row.joinRatio, met: row.joinRatio < 0.5 },
          { name: 'SFU at 6: CPU per participant ≤ 0.5× raw PeerJS mesh', ratio: row.cpuRatio, met: row.cpuRatio <= 0.5 },
        ]
      : row.n === 10
        ? [{ name: 'SFU at 10: every remote video at ≥ 10 frames/s', ratio: NaN, value: `${num(row.e.minFps, 1)} fps`, met: row.e.minFps >= 10 }]
        : [],
  );
  const samples = rows.flatMap(({ n }) => [`- n=${n} SFU: ${join[n].element.map((ms) => num(ms)).join(', ') || 'none'} ms`, `- n=${n} raw PeerJS mesh: ${join[n].raw.map((ms) => num(ms)).join(', ') || 'none'} ms`]);
  const markdown = [
    `\`<video-room>\` with \`sfu-threshold="always"\`: each page sends its media up once to Janus (simulcast) and takes every`,
    `other's down on one connection; every frame SFrame-encrypted, keys over the data channels. Beside it, raw PeerJS's full`,
    `mesh of as many participants, in the same run. At 10 both ask for \`low\` video (320×180 at 15 frames/s) and no microphone`,
    '(ten pages\' audio alone saturates this machine; see bench/NOTES.md). Join: page load',
    `until every remote video presents frames, the slowest participant; medians of ${rows.map(({ n }) => `${RUNS[n] ?? 1} at ${n}`).join(', ')}. CPU: the`,
    `browser's, as in the CPU figure, over ${MEASURE_S} s of the last run after ${WARMUP_S} s of warm-up; Janus's own CPU is given apart`,
    'and is not in the ratio (it runs on the server, not on the participants\' devices). Slowest video: the lowest frame rate of',
    'any remote video on any page over the same window. CPU per frame: that CPU over the remote video frames each page decoded',
    'in the window (with both saturating the two cores, CPU per participant is their share either way).',
    '',
    '| participants | join, SFU | join, raw mesh | ratio | CPU s/participant/min, SFU | raw mesh | ratio | CPU ms per decoded frame, SFU / raw | ratio | Janus CPU s/participant/min | slowest video, SFU / raw |',
    '| --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...rows.map(
      (row) =>
        `| ${row.n} | ${num(row.je)} ms | ${num(row.jr)} ms | ${num(row.joinRatio, 2)}× | ${num(row.e.cpuPerParticipantMin, 1)} s | ${num(row.r.cpuPerParticipantMin, 1)} s | ${num(row.cpuRatio, 2)}× | ${num(row.fe, 1)} / ${num(row.fr, 1)} ms | ${num(row.frameRatio, 2)}× | ${num(row.e.serverCpuPerParticipantMin, 2)} s | ${num(row.e.minFps, 1)} / ${num(row.r.minFps, 1)} fps |`,
    ),
    '',
    'Runs (ms, in order):',
    '',
    ...samples,
  ].join('\n');
  const series = ['<video-room> via SFU', 'raw PeerJS mesh'];
  const groups = (pick) => SIZES.map((n) => ({ label: `${n} participants`, values: pick(n) }));
  return [
    {
      title: 'Media through the SFU',
      ok: rows.every((row) => Number.isFinite(row.je) && Number.isFinite(row.e.cpuPerParticipantMin)),
      goals,
      failures,
      markdown,
      charts: [
        { file: 'sfu-join.svg', svg: barChart({ title: 'Until every video decodes (median ms)', unit: 'ms', series, groups: groups((n) => [median(join[n].element), median(join[n].raw)]) }) },
        { file: 'sfu-cpu.svg', svg: barChart({ title: 'Browser CPU seconds per participant per minute', unit: 'CPU s', series, groups: groups((n) => [call(n, 'element').cpuPerParticipantMin, call(n, 'raw').cpuPerParticipantMin]), digits: 1 }) },
      ],
    },
  ];
}
