#!/usr/bin/env node
// nslab's entry point: the compiled CLI lives in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/runner/front/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('nslab: the TypeScript is not compiled (dist/runner/front/cli.js is missing); run `npm run build:ts` in the nslab folder.\n');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
