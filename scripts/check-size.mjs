// The CDN bundle's size budgets: fails when build/video-room.js, gzipped, grows past its budget,
// or when it and the call's chunk together (what every page that joins loads, and what any page
// fetches once idle) grow past theirs. Every host page pays for every byte here (PeerJS's own
// build alone is 22.7 KB gzipped). The other chunks (frame encryption, translations) load only
// where needed; their sizes are printed too. Run after the build.
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/** Bytes, gzipped at the highest level (what a CDN serves, or less): the entry. */
export const BUDGET_GZIP_BYTES = 30 * 1000;
/** The entry and the call's chunk together. */
export const JOIN_BUDGET_GZIP_BYTES = 50 * 1000;

const gzipped = (url) => gzipSync(readFileSync(url), { level: 9 }).length;
const percent = (bytes, budget) => ((100 * bytes) / budget).toFixed(1);

const entryFile = new URL('../build/video-room.js', import.meta.url);
const chunks = new URL('../build/chunks/', import.meta.url);
const entry = gzipped(entryFile);
const joining = entry + gzipped(new URL('room.js', chunks));

const lines = [
  [`CDN bundle: ${readFileSync(entryFile).length} B minified, ${entry} B gzipped (budget ${BUDGET_GZIP_BYTES} B, ${percent(entry, BUDGET_GZIP_BYTES)} %)`, entry, BUDGET_GZIP_BYTES],
  [`with the call's chunk (what a joining page loads): ${joining} B gzipped (budget ${JOIN_BUDGET_GZIP_BYTES} B, ${percent(joining, JOIN_BUDGET_GZIP_BYTES)} %)`, joining, JOIN_BUDGET_GZIP_BYTES],
];
let over = false;
for (const [line, bytes, budget] of lines) {
  if (bytes > budget) {
    console.error(`${line}: over budget by ${bytes - budget} B`);
    over = true;
  } else console.log(line);
}
for (const name of readdirSync(chunks).filter((n) => n.endsWith('.js')).sort())
  console.log(`  chunk ${name}: ${gzipped(new URL(name, chunks))} B gzipped`);
if (over) process.exit(1);
