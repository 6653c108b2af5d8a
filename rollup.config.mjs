// The CDN bundles: one minified ES module with Lit and PeerJS inlined, and the same as a classic
// script, built from tsc's output.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import terser from '@rollup/plugin-terser';
import { minifyTemplateLiterals } from 'rollup-plugin-minify-template-literals';
import { fileURLToPath } from 'node:url';

/**
 * Dependencies of PeerJS the element never uses, replaced by small stand-ins in this bundle
 * only (the npm package imports PeerJS as it is): every host page pays for every byte here.
 */
const CDN_SHIMS = {
  'webrtc-adapter': fileURLToPath(new URL('./scripts/cdn-shims/webrtc-adapter.mjs', import.meta.url)),
  'peerjs-js-binarypack': fileURLToPath(new URL('./scripts/cdn-shims/peerjs-js-binarypack.mjs', import.meta.url)),
};

/**
 * PeerJS's logger prints nothing at `debug: 0`, which is how the element opens every Peer, yet
 * its 62 calls carry their messages into the bundle. Each call is marked pure, so the minifier
 * drops it with its strings (this bundle only; the npm package imports PeerJS as it is). The
 * logger's name is PeerJS 1.5.5's bundle's own: should it change, nothing is marked, and the size
 * check (`npm run check:size`) shows the bytes coming back.
 */
const PEERJS_LOGGER_CALL = /\(0, \$257947e92926277a\$export\$2e2bcd8739ae039\)\.(log|warn|error)\(/g;
/**
 * Every Peer lists PeerJS's five serializations (JSON, BinaryPack with its chunking, and raw);
 * the element opens every data channel with `raw`, so the others are dropped from the list and
 * their classes fall out of the bundle (about 0.7 KB gzipped). A dial with another serialization
 * would find none and fail loudly. Matched on PeerJS 1.5.5's bundle like the logger: should it
 * change, the list stays whole and the size check shows it.
 */
const PEERJS_SERIALIZERS = /(this\._serializers = \{\s*raw: \(0, \$[0-9a-f]+\$export\$[0-9a-f]+\)),\s*json:[^}]*\}/;
/**
 * The element never calls `peer.call()`: its media rides the data connection's own
 * RTCPeerConnection. PeerJS's MediaConnection is reached only from `call()` and from an incoming
 * OFFER of type `media`, so both go: `call()` throws, and a media OFFER (no element sends one) is
 * dropped as a malformed connection type instead of building an RTCPeerConnection nobody
 * answers. The class then falls out of the bundle. Matched on PeerJS 1.5.5's bundle; should it
 * change, nothing is replaced and the size check shows it.
 */
const PEERJS_CALL = /\bcall\(peer, stream, options = \{\}\) \{[\s\S]*?return mediaConnection;\n {4}\}/;
const PEERJS_MEDIA_OFFER = /(\/\/ Create a new connection\.\s*if \()payload\.type === \(0, \$[0-9a-f]+\$export\$[0-9a-f]+\)\.Media\)/;
/**
 * The MediaConnection class sets its id prefix in a static initializer, a side effect that kept
 * the whole class in the bundle although nothing reaches it any more: the prefix is written
 * where it is read instead. Matched on PeerJS 1.5.5's bundle; should it change, the class stays,
 * and the size check shows it.
 */
const PEERJS_MEDIA_PREFIX = /static #_ = this\.ID_PREFIX = "mc_";/;
const PEERJS_MEDIA_PREFIX_USE = /\$[0-9a-f]+\$export\$[0-9a-f]+\.ID_PREFIX \+/;

/** PeerJS's bundle with the MediaConnection's id prefix inlined (see PEERJS_MEDIA_PREFIX). */
function inlineMediaPrefix(code) {
  const start = code.search(PEERJS_MEDIA_PREFIX);
  if (start < 0) return code;
  // From the initializer on: the first `.ID_PREFIX +` after it is the MediaConnection's own
  // constructor (the DataConnection's, with its own prefix, comes later and stays as it is).
  const rest = code.slice(start).replace(PEERJS_MEDIA_PREFIX, '').replace(PEERJS_MEDIA_PREFIX_USE, '"mc_" +');
  return code.slice(0, start) + rest;
}
/**
 * Methods of PeerJS the element never calls, dropped from this bundle with their messages:
 * `Peer.reconnect()` (a lost broker gets a new Peer, see broker-session.ts), the deprecated
 * `listAllPeers()` of Peer and of its HTTP API, `retrieveId()` (every Peer of ours is opened
 * under an id of its own, see broker.ts), and the support report's `toString()` and
 * `isUnifiedPlanSupported()` (which only that report calls). Each is found by its signature in
 * PeerJS 1.5.5's bundle and removed to its closing brace; should one change, it stays, and the size
 * check shows it.
 */
const PEERJS_UNUSED_METHODS = ['*/ reconnect() {', '*/ listAllPeers(cb = (_)=>{}) {', '/** @deprecated */ async listAllPeers() {', '*/ async retrieveId() {', '    toString() {\n        return `Supports:', '    isUnifiedPlanSupported() {'];

/** `code` without the method that starts at `signature`: from there to its matching closing brace. */
function dropMethod(code, signature) {
  const start = code.indexOf(signature);
  if (start < 0) return code;
  let depth = 0;
  for (let i = code.indexOf(') {', start) + 2; i < code.length; i++) {
    if (code[i] === '{') depth++;
    else if (code[i] === '}' && --depth === 0) return code.slice(0, start) + (signature.startsWith('*/') ? '*/' : '') + code.slice(i + 1);
  }
  return code;
}

/**
 * PeerJS's `util.supports` is worked out when its module loads, by creating an RTCPeerConnection
 * (with PeerJS's cloud STUN and TURN servers in its configuration) and a data channel on it.
 * Every page that loads the call's chunk paid for that connection. The Peer constructor reads
 * only `audioVideo` and `data` of it, so this bundle says what those are without building
 * anything: whether the browser has RTCPeerConnection.
 */
const PEERJS_SUPPORTS = /this\.supports = function\(\) \{[\s\S]*?return supported;\s*\}\(\),/;
const PEERJS_SUPPORTED = 'this.supports = { audioVideo: typeof RTCPeerConnection != "undefined", data: typeof RTCPeerConnection != "undefined" },';

const quietPeerJs = {
  name: 'quiet-peerjs',
  transform(code, id) {
    if (!id.includes('/node_modules/peerjs/dist/')) return null;
    const quiet = code
      .replace(PEERJS_LOGGER_CALL, (call) => `/*#__PURE__*/${call}`)
      .replace(PEERJS_SERIALIZERS, '$1 }')
      .replace(PEERJS_CALL, 'call() { throw new Error("video-room: no MediaConnection in this bundle"); }')
      .replace(PEERJS_MEDIA_OFFER, '$1false)')
      .replace(PEERJS_SUPPORTS, PEERJS_SUPPORTED);
    return { code: PEERJS_UNUSED_METHODS.reduce(dropMethod, inlineMediaPrefix(quiet)), map: null };
  },
};

export default {
  input: 'dist/video-room.js',
  // The chunks import what they share with the bundle from the bundle itself, which may export
  // more than the package's entry: no third file between them.
  preserveEntrySignatures: 'allow-extension',
  output: [
    // Chunks loaded beside the bundle only when needed (build/chunks/): each translation, by
    // pages in that language, and frame encryption, by rooms with a secret. No page pays for
    // what it does not use.
    { dir: 'build', entryFileNames: 'video-room.js', chunkFileNames: 'chunks/[name].js', format: 'es', sourcemap: true },
    // For pages that cannot load modules: a classic script (`<script src>` without
    // type="module"), the same code in a function scope, exposing `window.VideoRoom`. A classic
    // script has no base URL to load chunks from, so they are inlined.
    { file: 'build/video-room.classic.js', format: 'iife', name: 'VideoRoom', sourcemap: true, inlineDynamicImports: true },
  ],
  plugins: [
    { name: 'cdn-shims', resolveId: (id) => CDN_SHIMS[id] ?? null },
    quietPeerJs,
    // The element's css`` (clean-css: whitespace, shorter values; checked by rule against the
    // unminified sheets in Chromium: the same rules, selector lists reordered). Its HTML templates
    // are left as they are: collapsing their whitespace can join words across bindings.
    minifyTemplateLiterals({ include: ['dist/**/*.js'], options: { shouldMinify: () => false } }),
    nodeResolve({ browser: true }),
    // peerjs -> webrtc-adapter -> sdp is CommonJS.
    commonjs(),
    terser({ ecma: 2020, module: true, compress: { passes: 3 }, format: { comments: false } }),
  ],
};
