// The CDN bundle's size budget: fails when build/video-room.js, gzipped, grows past it. Every
// host page pays for every byte of it (PeerJS's own build alone is 22.7 KB gzipped). The chunks
// beside it (the call, frame encryption, translations) load only when a page needs them; their
// sizes are printed too. Run after the build.
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/** Bytes, gzipped at the highest level (what a CDN serves, or less). */
export const BUDGET_GZIP_BYTES = 30 * 1000;

const file = new URL('../build/video-room.js', import.meta.url);
const code = readFileSync(file);
const gzipped = gzipSync(code, { level: 9 }).length;
const line = `CDN bundle: ${code.length} B minified, ${gzipped} B gzipped (budget ${BUDGET_GZIP_BYTES} B, ${((100 * gzipped) / BUDGET_GZIP_BYTES).toFixed(1)} %)`;
if (gzipped > BUDGET_GZIP_BYTES) {
  console.error(`${line}: over budget by ${gzipped - BUDGET_GZIP_BYTES} B`);
  process.exit(1);
}
console.log(line);
const chunks = new URL('../build/chunks/', import.meta.url);
for (const name of readdirSync(chunks).filter((n) => n.endsWith('.js')).sort())
  console.log(`  chunk ${name}: ${gzipSync(readFileSync(new URL(name, chunks)), { level: 9 }).length} B gzipped`);
