// Generates custom-elements.json from the JSDoc in src/ (the README's API section comes from it).
export default {
  // The element's public modules only: the core is internal, and its churn must not stale the manifest.
  globs: ['src/index.ts', 'src/video-room.ts', 'src/video-room.component.ts', 'src/events.ts', 'src/constants.ts'],
  outdir: '.',
  litelement: true,
  dev: false,
  // package.json's customElements field is ours to keep (the analyzer would point it at outdir).
  packagejson: false,
};
