// The CDN bundle's size budget: fails when build/video-room.js, gzipped, grows past it. Every
// host page pays for every byte (PeerJS alone is about 23 KB gzipped). Run after the build.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/** Bytes, gzipped at the highest level (what a CDN serves, or less). */
export const BUDGET_GZIP_BYTES = 45 * 1000;

const file = new URL('../build/video-room.js', import.meta.url);
const code = readFileSync(file);
const gzipped = gzipSync(code, { level: 9 }).length;
const line = `CDN bundle: ${code.length} B minified, ${gzipped} B gzipped (budget ${BUDGET_GZIP_BYTES} B, ${((100 * gzipped) / BUDGET_GZIP_BYTES).toFixed(1)} %)`;
if (gzipped > BUDGET_GZIP_BYTES) {
  console.error(`${line}: over budget by ${gzipped - BUDGET_GZIP_BYTES} B`);
  process.exit(1);
}
console.log(line);
