// The CDN bundle: one minified ES module with Lit and PeerJS inlined, built from tsc's output.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import terser from '@rollup/plugin-terser';

export default {
  input: 'dist/video-room.js',
  output: {
    file: 'build/video-room.js',
    format: 'es',
    sourcemap: true,
  },
  plugins: [
    nodeResolve({ browser: true }),
    // peerjs -> webrtc-adapter -> sdp is CommonJS.
    commonjs(),
    terser({ ecma: 2020, module: true, format: { comments: false } }),
  ],
};
