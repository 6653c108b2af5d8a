// The React demo page's script (demo/react.html): demo/react-app.js with React, React DOM and
// the element (from tsc's output, as an app importing the package gets it), in one minified
// ES module. React's CommonJS builds pick development or production by process.env.NODE_ENV,
// which browsers do not have: it is replaced at build time.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';

export default {
  input: 'demo/react-app.js',
  // One file: the translations and frame encryption the element loads on demand are inlined.
  output: { file: 'build/demo/react-app.js', format: 'es', sourcemap: true, inlineDynamicImports: true },
  plugins: [
    replace({ preventAssignment: true, values: { 'process.env.NODE_ENV': JSON.stringify('production') } }),
    nodeResolve({ browser: true }),
    // react, react-dom, scheduler, and peerjs -> webrtc-adapter -> sdp are CommonJS.
    commonjs(),
    terser({ ecma: 2020, module: true, compress: { passes: 3 }, format: { comments: false } }),
  ],
};
