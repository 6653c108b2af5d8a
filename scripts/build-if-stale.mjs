// `npm start`'s first step: builds (npm run build) only when an output is missing or older than
// something it is built from; otherwise it says so and returns at once (README, "Deploy it").
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What the build reads. */
export const INPUTS = ['src', 'demo/react-app.js', 'scripts/cdn-shims', 'tsconfig.json', 'tsconfig.build.json', 'rollup.config.mjs', 'rollup.demo.config.mjs', 'package-lock.json'];
/** What the server serves of the build (and tsc's output, which the bundles are made from). */
export const OUTPUTS = ['dist/video-room.js', 'build/video-room.js', 'build/video-room.classic.js', 'build/demo/react-app.js'];

/** The newest modification time under `file` (a file or a folder), in ms; 0 when it is missing. */
function newest(file) {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(file).map((name) => newest(path.join(file, name))));
}

/** Why a build is needed, or null when the outputs are current. */
export function staleness(base = root) {
  const outputs = OUTPUTS.map((file) => [file, newest(path.join(base, file))]);
  const missing = outputs.find(([, time]) => time === 0);
  if (missing) return `${missing[0]} is missing`;
  const oldest = Math.min(...outputs.map(([, time]) => time));
  const changed = INPUTS.find((file) => newest(path.join(base, file)) > oldest);
  return changed ? `${changed} changed since the last build` : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const why = staleness();
  if (!why) {
    console.log('build: current');
  } else {
    console.log(`build: ${why}; building`);
    const run = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    process.exit(run.status ?? 1);
  }
}
