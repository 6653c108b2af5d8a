// The CPU cost of frame encryption: the same element call of N participants without a room
// secret (DTLS-SRTP only) and with one (SFrame on every audio and video frame, in workers).
import { randomBytes } from 'node:crypto';
import { mean, num, sleep } from '../lib/harness.mjs';
import { measureCall, startCall } from '../lib/call.mjs';
import { barChart } from '../lib/chart.mjs';

const N = Number(process.env.BENCH_E2EE_PARTICIPANTS ?? 3);
const ROUNDS = Number(process.env.BENCH_E2EE_ROUNDS ?? 1);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 6);
const MEASURE_S = Number(process.env.BENCH_MEASURE_S ?? 12);

export async function e2eeFigure({ browser, urls, log }) {
  const runs = { off: [], on: [] };
  const failures = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 ? ['on', 'off'] : ['off', 'on']) {
      const secret = mode === 'on' ? randomBytes(16).toString('base64url') : null;
      const call = await startCall(browser, urls, { kind: 'element', n: N, timeoutMs: 30_000, secret });
      if (!call.ok) {
        failures.push(`encryption ${mode}, round ${round + 1}: ${call.reason}`);
        log(`e2ee ${mode}: FAILED (${call.reason})`);
        continue;
      }
      try {
        await sleep(WARMUP_S * 1000);
        const m = await measureCall(browser, call.pages, MEASURE_S);
        runs[mode].push(m);
        log(`e2ee ${mode}: ${num(m.cpuPerParticipantMin, 1)} CPU s/participant/min, ${num(m.fpsPerRemote, 1)} fps per remote`);
      } finally {
        await call.close();
      }
    }
  }
  const avg = (mode, key) => mean(runs[mode].map((r) => r[key]));
  const [off, on] = [avg('off', 'cpuPerParticipantMin'), avg('on', 'cpuPerParticipantMin')];
  return {
    title: 'Frame encryption',
    ok: runs.off.length > 0 && runs.on.length > 0,
    goals: [],
    failures,
    markdown: [
      `A \`<video-room>\` call of ${N} participants without a room secret, then with one (SFrame, AES-GCM, in a worker per`,
      `page, on every audio and video frame), measured like the CPU figure (${MEASURE_S} s after ${WARMUP_S} s of warm-up).`,
      '',
      '| | encryption off | encryption on | ratio (on / off) |',
      '| :-- | --: | --: | --: |',
      `| browser CPU seconds per participant per minute | ${num(off, 1)} s | ${num(on, 1)} s | ${num(on / off, 2)}× |`,
      `| frames decoded per second per remote video | ${num(avg('off', 'fpsPerRemote'), 1)} | ${num(avg('on', 'fpsPerRemote'), 1)} | |`,
      `| upstream per participant | ${num(avg('off', 'upKbps'))} kbit/s | ${num(avg('on', 'upKbps'))} kbit/s | ${num(avg('on', 'upKbps') / avg('off', 'upKbps'), 2)}× |`,
    ].join('\n'),
    charts: [
      {
        file: 'e2ee.svg',
        svg: barChart({
          title: `CPU seconds per participant per minute, ${N} participants`,
          unit: 'CPU s',
          series: ['encryption off', 'encryption on'],
          groups: [{ label: `<video-room>, ${N} participants`, values: [off, on] }],
          digits: 1,
        }),
      },
    ],
  };
}
