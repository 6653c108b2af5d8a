// `npm start` builds only what is missing or stale (scripts/build-if-stale.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INPUTS, OUTPUTS, staleness } from '../../scripts/build-if-stale.mjs';

/** A tree with every input and output, each file dated `at` (s since the epoch). */
function tree(at) {
  const base = mkdtempSync(path.join(os.tmpdir(), 'vr-stale-'));
  const files = [...INPUTS.map((f) => (path.extname(f) ? f : `${f}/a/b.ts`)), ...OUTPUTS];
  for (const file of files) {
    mkdirSync(path.dirname(path.join(base, file)), { recursive: true });
    writeFileSync(path.join(base, file), 'x');
  }
  const date = (/** @type {string} */ file, /** @type {number} */ time) => utimesSync(path.join(base, file), time, time);
  for (const file of files) date(file, at);
  for (const dir of INPUTS.filter((f) => !path.extname(f))) for (const d of [dir, `${dir}/a`]) date(d, at);
  return { base, date };
}

test('current outputs: no build; a missing output or a newer source, nested or not: a build, saying why', () => {
  const { base, date } = tree(1_700_000_000);
  try {
    assert.equal(staleness(base), null);
    date('src/a/b.ts', 1_700_000_100);
    assert.equal(staleness(base), 'src changed since the last build');
    date('src/a/b.ts', 1_700_000_000);
    date('package-lock.json', 1_700_000_100);
    assert.equal(staleness(base), 'package-lock.json changed since the last build');
    date('package-lock.json', 1_700_000_000);
    rmSync(path.join(base, 'build/demo/react-app.js'));
    assert.equal(staleness(base), 'build/demo/react-app.js is missing');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
