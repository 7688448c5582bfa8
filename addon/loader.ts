// Finds the compiled addon and the probe. When they are missing, the error lists every path
// that was tried and says how to build them.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawBinding } from './native.js';

/** The package root: this file is dist/addon/loader.js or addon/loader.ts. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'CMakeLists.txt'))) return dir;
    dir = resolve(dir, '..');
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

function candidates(name: string): string[] {
  const root = packageRoot();
  return [join(root, 'build', 'Release', name), join(root, 'build', 'Debug', name), join(root, 'build', name)];
}

export class AddonMissingError extends Error {
  constructor(what: string, tried: string[]) {
    super(
      `${what} is not built (looked in: ${tried.join(', ')}); run \`npm run build:addon\` in ${packageRoot()} ` +
        '(it needs cmake, g++ and the static C library: apt-get install cmake build-essential).',
    );
    this.name = 'AddonMissingError';
  }
}

let binding: RawBinding | undefined;

export function loadBinding(): RawBinding {
  if (binding) return binding;
  const tried = candidates('nslab.node');
  const found = tried.find((p) => existsSync(p));
  if (!found) throw new AddonMissingError('The native addon nslab.node', tried);
  binding = createRequire(import.meta.url)(found) as RawBinding;
  return binding;
}

export function probePath(): string {
  const tried = candidates('nslab-probe');
  const found = tried.find((p) => existsSync(p));
  if (!found) throw new AddonMissingError('The probe program nslab-probe', tried);
  return found;
}

/** A workload program of the cgroup labs (addon/workload/NAME.c, built as nslab-workload-NAME). */
export function workloadPath(name: string): string {
  const tried = candidates(`nslab-workload-${name}`);
  const found = tried.find((p) => existsSync(p));
  if (!found) throw new AddonMissingError(`The workload program nslab-workload-${name}`, tried);
  return found;
}
