#!/usr/bin/env node
// nslab's entry point: the compiled CLI lives in dist/. Nothing else is loaded here (not even
// node:fs): `nslab --version` and `nslab list` should cost little more than node itself.
const cli = new URL('../dist/runner/front/cli.js', import.meta.url);
let main;
try {
  ({ main } = await import(cli.href));
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || e.url !== cli.href) throw e;
  process.stderr.write('nslab: the TypeScript is not compiled (dist/runner/front/cli.js is missing); run `npm run build:ts` in the nslab folder.\n');
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
