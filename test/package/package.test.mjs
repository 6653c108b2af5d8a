// The npm package as a bundler sees it (run after `npm run build`): unbundled ES modules whose
// relative imports carry `.js`, types beside them, an exports map that resolves, the manifest,
// and side effects only in the module that registers the tag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Every .js file under dist/. */
function modules(dir = path.join(root, 'dist')) {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return modules(file);
    return name.endsWith('.js') ? [file] : [];
  });
}

test('every entry of the exports map, types and manifest exist', () => {
  const targets = Object.values(pkg.exports).flatMap((entry) => (typeof entry === 'string' ? [entry] : Object.values(entry)));
  for (const target of [...targets, pkg.main, pkg.types, pkg.customElements]) assert.ok(existsSync(path.join(root, target)), `${target} exists`);
  assert.equal(pkg.exports['.'].types, './dist/index.d.ts');
});

test('modules are unbundled ES modules, each with its .d.ts, and relative imports end in .js', () => {
  const files = modules();
  assert.ok(files.length > 20, `${files.length} modules`);
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    assert.ok(existsSync(file.replace(/\.js$/, '.d.ts')), `${path.relative(root, file)} has types`);
    for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g))
      assert.match(specifier, /\.js$/, `${path.relative(root, file)} imports ${specifier}`);
    // Lit and PeerJS stay bare imports for the host's bundler to share.
    assert.doesNotMatch(source, /class \w+ extends ReactiveElement|function Peer\(/, `${path.relative(root, file)} inlines nothing`);
  }
});

test('only the registering module has side effects, and it guards the definition', () => {
  assert.deepEqual(pkg.sideEffects, ['./dist/video-room.js']);
  const defining = modules().filter((file) => /customElements\.define\(/.test(readFileSync(file, 'utf8')));
  assert.deepEqual(defining.map((file) => path.relative(root, file)), ['dist/video-room.js']);
  assert.match(readFileSync(path.join(root, 'dist/video-room.js'), 'utf8'), /if \(!customElements\.get\('video-room'\)\)\s+customElements\.define/);
});
