// Host places that several runs use at once and that nslab may have created: /run/netns (which
// `ip netns add` creates and bind-mounts on itself) and /etc/netns. The first run to use them
// writes down how they were; every user leaves a marker in its run directory; the last user to
// leave (a live run, or the recovery of a dead one) puts them back — only if nslab created
// them and they are empty. A place that existed before nslab is never touched.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { flock, umount } from '../../addon/index.js';
import { ensureRunDir, runDir } from './paths.js';
import { mountsOf } from './proc.js';

const MARKER = 'uses-netns-dirs';
const PLACES = ['/run/netns', '/etc/netns'] as const;

interface PlaceState {
  readonly existed: boolean;
  readonly mounted: boolean;
}

type State = Record<(typeof PLACES)[number], PlaceState>;

const isMounted = (p: string) => mountsOf().some((m) => m.target === p);

function withLock<T>(fn: (stateFile: string) => T): T {
  const dir = join(ensureRunDir(), 'shared');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fd = openSync(join(dir, 'netns-dirs.lock'), constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    flock(fd, { exclusive: true, wait: true });
    return fn(join(dir, 'netns-dirs.json'));
  } finally {
    closeSync(fd);
  }
}

function readState(file: string): State | undefined {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { existed?: unknown; mounted?: unknown }>;
    const place = (p: string): PlaceState | undefined => {
      const s = o[p];
      return s && typeof s.existed === 'boolean' && typeof s.mounted === 'boolean' ? { existed: s.existed, mounted: s.mounted } : undefined;
    };
    const a = place('/run/netns');
    const b = place('/etc/netns');
    return a && b ? { '/run/netns': a, '/etc/netns': b } : undefined;
  } catch {
    return undefined;
  }
}

/** This run is about to use /run/netns and /etc/netns (call after journalling a netnsDirs entry). */
export function useNetnsDirs(ownDir: string): void {
  withLock((file) => {
    if (!readState(file)) {
      const state = Object.fromEntries(PLACES.map((p) => [p, { existed: existsSync(p), mounted: isMounted(p) }]));
      writeFileSync(file, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    }
    writeFileSync(join(ownDir, MARKER), '');
  });
}

/** The run in `ownDir` is done with them: the last user puts back what nslab created. */
export function releaseNetnsDirs(ownDir: string): void {
  withLock((file) => {
    rmSync(join(ownDir, MARKER), { force: true });
    const others = readdirSafe(runDir()).filter((n) => existsSync(join(runDir(), n, MARKER)));
    if (others.length > 0) return; // a live run, or a dead one whose recovery will do this
    const state = readState(file);
    if (state) {
      for (const p of PLACES) {
        const s = state[p];
        if (!existsSync(p) || readdirSafe(p).length > 0) continue;
        // ip netns add bind-mounts /run/netns onto itself: undone also when the directory was
        // there before (plain), which then stays.
        if (!s.mounted) for (let round = 0; round < 4 && isMounted(p); round++) quiet(() => umount(p));
        if (!s.existed) quiet(() => rmdirSync(p));
      }
    }
    rmSync(file, { force: true });
  });
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function quiet(fn: () => void): void {
  try {
    fn();
  } catch {
    // already as wanted, or busy: left for the next release
  }
}
