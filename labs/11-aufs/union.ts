// The mount holder: every union of this lab is mounted inside one private mount namespace,
// held open by a probe process. The host never sees these mounts, and they die with the
// process, so no mount can outlive the lab. The host reads the unions through /proc/PID/root.
// Also the small helpers the steps share (planting trees, reading branches, comparing lists).
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Container, PerRun, attempt, program, mountsOf, type Lang, type MountLine, type StepContext, type Text } from '../../runner/kit/index.js';
import type { RunResult } from '../../addon/index.js';

export class Holder {
  private constructor(readonly container: Container) {}

  /** A process in a new mount namespace whose mounts are private (MS_REC|MS_PRIVATE first). */
  static async start(ctx: StepContext): Promise<Holder> {
    const c = await Container.start(ctx, {
      namespaces: ['mnt'],
      actions: [{ do: 'makePrivate' }],
      label: { en: 'mount-namespace holder (11-aufs)', zh: '持有 mount namespace 的进程（11-aufs）' },
    });
    return new Holder(c);
  }

  get pid(): number {
    return this.container.pid;
  }

  /** A host path as seen inside the holder's mount namespace (union mounts included). */
  inside(path: string): string {
    return `/proc/${this.pid}/root${path}`;
  }

  /** mount(2) inside the namespace, from `cwd` so that layer paths can stay short and relative. */
  async mount(cwd: string, target: string, fstype: string, data: string, source = fstype): Promise<void> {
    await this.container.exec([program('true')], {
      actions: [{ do: 'chdir', path: cwd }, { do: 'mount', source, target, fstype, data }],
    });
  }

  async umount(target: string): Promise<void> {
    await this.container.exec([program('true')], { actions: [{ do: 'umount', target }] });
  }

  /** Run a shell command inside the namespace from `cwd`, shown to the learner with its output. */
  sh(ctx: StepContext, cwd: string, command: string): Promise<RunResult> {
    return attempt(ctx, [program('sh'), '-c', command], { command, container: this.container, cwd });
  }

  /** The mounts of the namespace's mount table (/proc/PID/mountinfo) whose mount point is `target`. */
  mountsAt(target: string): MountLine[] {
    return mountsOf(this.pid).filter((m) => m.target === target);
  }

  stop(): Promise<void> {
    return this.container.stop();
  }
}

/**
 * The holder of each run, by the run's cleanup stack. A live process is not an observation: the
 * steps share it here, and checks never see it (they judge only what the steps read through it).
 */
const holders = new PerRun<Holder>();

/** This run's holder, started by the first step that needs one. */
export async function holderOf(ctx: StepContext): Promise<Holder> {
  let h = holders.get(ctx);
  if (h === undefined) {
    h = await Holder.start(ctx);
    holders.set(ctx, h);
  }
  return h;
}

/** Stop this run's holder: its mount namespace, and every union in it, goes with it. */
export async function stopHolder(ctx: StepContext): Promise<void> {
  const h = holders.get(ctx);
  holders.delete(ctx);
  await h?.stop();
}

/** The overlay mount options of a union: `lower` leftmost is the top layer, like AUFS's dirs=. */
export function overlayData(lower: readonly string[], upper?: { upper: string; work: string }): string {
  const l = `lowerdir=${lower.join(':')}`;
  return upper ? `${l},upperdir=${upper.upper},workdir=${upper.work}` : l;
}

/**
 * Create a directory tree of small files: { 'a/b': 'text' } (a trailing '/' makes a directory).
 * `root` itself is made without `recursive`: if the scratch directory is already gone (the run
 * was interrupted and cleaned up), this fails instead of quietly making it again.
 */
export function plant(root: string, files: Readonly<Record<string, string>>): void {
  mkdirSync(root);
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    if (rel.endsWith('/')) mkdirSync(p, { recursive: true });
    else {
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, content);
    }
  }
}

/** Major and minor device numbers of a dev_t as Node reports it (glibc's encoding). */
export function majorMinor(rdev: number): { major: number; minor: number } {
  const r = BigInt(rdev);
  const major = Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn));
  const minor = Number((r & 0xffn) | ((r >> 12n) & ~0xffn));
  return { major, minor };
}

/** What a branch entry is, as the kernel's stat says: 'file', 'dir', 'whiteout 0/0', 'char 1/3'… */
export function kindOf(path: string): string {
  try {
    const st = lstatSync(path);
    if (st.isCharacterDevice()) {
      const { major, minor } = majorMinor(st.rdev);
      return major === 0 && minor === 0 ? 'whiteout 0/0' : `char ${major}/${minor}`;
    }
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/** A text made from one function of the language. */
export const both = (f: (l: Lang) => string): Text => ({ en: f('en'), zh: f('zh') });

/** lstat through a path (e.g. into the union): 'ENOENT' and the like, else what is there ('file', 'dir', …). */
export function statThrough(path: string): string {
  try {
    lstatSync(path);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  }
  return kindOf(path);
}

export const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);
export const readOr = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined);
export const show = (s: string | undefined) => (s === undefined ? '(missing)' : JSON.stringify(s));
/** A file's content as a value, or "missing" in the reader's language. */
export const showIn = (s: string | undefined, l: Lang) => (s === undefined ? (l === 'en' ? '(missing)' : '（不存在）') : JSON.stringify(s));
export const sorted = (xs: readonly string[]) => [...xs].sort();
export const sameList = (a: readonly string[], b: readonly string[]) => sorted(a).join(',') === sorted(b).join(',');

/** Every path below `root`, relative to it, sorted (directories too). */
export function walk(root: string, at = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(at)) {
    const p = join(at, name);
    out.push(relative(root, p));
    if (lstatSync(p).isDirectory()) out.push(...walk(root, p));
  }
  return out.sort();
}
