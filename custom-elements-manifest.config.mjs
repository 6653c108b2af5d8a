// Generates custom-elements.json from the JSDoc in src/ (the README's API section comes from it).
export default {
  globs: ['src/**/*.ts'],
  outdir: '.',
  litelement: true,
  dev: false,
  // package.json's customElements field is ours to keep (the analyzer would point it at outdir).
  packagejson: false,
};
