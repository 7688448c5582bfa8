// The cgroup driver: one vocabulary for cgroup v1 and v2 (cgroup-parse.ts) over the host's
// hierarchies (cgroup-host.ts). It creates `nslab-*` groups (recorded on the cleanup stack
// before mkdir), moves processes in, writes limits and reads the kernel's own counters.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError, type StepContext } from '../core/model.js';
import { WHERE } from './container.js';
import { tryRead } from '../core/proc.js';
import type { CgroupHost, Placement } from './cgroup-host.js';
import {
  cpuLimit,
  cpusetCpus,
  cpuThrottling,
  ioReadBytes,
  ioStatFile,
  cpuUsageFile,
  freeze,
  frozenState,
  memoryCounters,
  memoryLimit,
  PERIOD_US,
  readBps,
  type Intent,
  type MemoryCounters,
  type Throttling,
  type Resource,
  type Version,
  type Write,
} from './cgroup-parse.js';

/** A failed write to a cgroup file, with the errno name the kernel returned. */
export interface WriteOutcome {
  readonly ok: boolean;
  readonly code?: string;
}

const ERRNO_TEXT: Record<string, string> = {
  EBUSY: 'Device or resource busy',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
  ENOSPC: 'No space left on device',
  EOPNOTSUPP: 'Operation not supported',
  EPERM: 'Operation not permitted',
  ESRCH: 'No such process',
};

/** One directory of one hierarchy. Writes and reads are shown to the learner as echo/cat. */
export class CgroupDir {
  private constructor(
    private readonly ctx: StepContext,
    readonly path: string,
    readonly version: Version,
    readonly mount: string,
    private readonly undoId: number | undefined,
  ) {}

  /** A hierarchy's root group (it exists already and is never removed). */
  static root(ctx: StepContext, mount: string, version: Version): CgroupDir {
    return new CgroupDir(ctx, mount, version, mount, undefined);
  }

  /** A group that exists already (made earlier in the run); this handle never removes it. */
  static at(ctx: StepContext, path: string, mount: string, version: Version = 2): CgroupDir {
    return new CgroupDir(ctx, path, version, mount, undefined);
  }

  /** Make the child group nslab-<token>-<suffix>; journalled before mkdir, which must create it. */
  child(suffix: string, opts: { show?: boolean } = {}): CgroupDir {
    const path = join(this.path, this.ctx.name(suffix));
    // An existing group is someone else's: never removed.
    const { id } = this.ctx.cleanup.createSync({ kind: 'cgroup', path }, { en: `cgroup ${path}`, zh: `cgroup ${path}` }, () => {
      try {
        mkdirSync(path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') throw e;
        throw new LabError({
          en: `${path} exists already and is not this run's: nslab leaves it alone`,
          zh: `${path} 已经存在，不属于本次运行：nslab 不碰它`,
        });
      }
    });
    if (opts.show !== false) this.ctx.transcript({ command: `mkdir ${path}`, output: '', where: WHERE.host });
    return new CgroupDir(this.ctx, path, this.version, this.mount, id);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  has(name: string): boolean {
    return existsSync(this.file(name));
  }

  read(name: string): string {
    return readFileSync(this.file(name), 'utf8');
  }

  /** `cat` a file for the learner; returns its text. */
  show(name: string): string {
    const text = this.read(name);
    this.ctx.transcript({ command: `cat ${this.file(name)}`, output: text.replace(/\n+$/, ''), where: WHERE.host });
    return text;
  }

  /** Write a value (as `echo VALUE > FILE`, shown); returns the kernel's answer instead of throwing. */
  tryWrite(name: string, value: string, opts: { show?: boolean } = {}): WriteOutcome {
    let outcome: WriteOutcome = { ok: true };
    try {
      writeFileSync(this.file(name), value);
    } catch (e) {
      outcome = { ok: false, code: (e as NodeJS.ErrnoException).code ?? 'EIO' };
    }
    if (opts.show !== false) {
      const output = outcome.ok ? '' : `write error: ${ERRNO_TEXT[outcome.code!] ?? outcome.code} (${outcome.code})`;
      const shownValue = /\s/.test(value) ? `"${value}"` : value;
      this.ctx.transcript({ command: `echo ${shownValue} > ${this.file(name)}`, output, where: WHERE.host });
    }
    return outcome;
  }

  /** Write a value; a refusal by the kernel throws, naming the file and errno. */
  write(name: string, value: string, opts: { show?: boolean } = {}): void {
    const r = this.tryWrite(name, value, opts);
    if (!r.ok) throw new Error(`${r.code}: writing "${value}" to ${this.file(name)}: ${ERRNO_TEXT[r.code!] ?? 'refused'}`);
  }

  /** Move a process (all its threads) into this group. */
  addProcess(pid: number, opts: { show?: boolean } = {}): WriteOutcome {
    return this.tryWrite('cgroup.procs', String(pid), opts);
  }

  procs(): number[] {
    return this.read('cgroup.procs').split('\n').filter(Boolean).map(Number);
  }

  /** cgroup2: the controllers this group may use (set by its parent's subtree_control). */
  controllers(): string[] {
    return this.read('cgroup.controllers').trim().split(/\s+/).filter(Boolean);
  }

  /** cgroup2: the controllers this group hands to its children. */
  subtreeControl(): string[] {
    return this.read('cgroup.subtree_control').trim().split(/\s+/).filter(Boolean);
  }

  /**
   * cgroup2: enable a controller for the children. In a group that is not ours (the root), a
   * controller that was off is recorded to be switched off again, before it is switched on.
   */
  enable(controller: string, opts: { show?: boolean } = {}): WriteOutcome {
    if (this.subtreeControl().includes(controller)) return { ok: true };
    let id: number | undefined;
    if (this.undoId === undefined) {
      const where = this.file('cgroup.subtree_control');
      id = this.ctx.cleanup.push({ kind: 'subtree', mount: this.path, controller }, { en: `+${controller} in ${where}`, zh: `${where} 中的 +${controller}` });
    }
    const r = this.tryWrite('cgroup.subtree_control', `+${controller}`, opts);
    if (!r.ok && id !== undefined) this.ctx.cleanup.release(id);
    return r;
  }

  /** Remove the group now (its undo: thaw, end our processes, rmdir). */
  remove(): void {
    if (this.undoId === undefined) return;
    const err = this.ctx.cleanup.pop(this.undoId);
    if (err) throw new Error(err);
  }
}

/** What a lab wrote, next to what the article wrote for the same intent. */
export interface Written {
  readonly resource: Resource;
  readonly version: Version;
  /** Full paths and values written on this host. */
  readonly writes: readonly Write[];
  /** The article's v1 file name and value. */
  readonly article: Write;
}

/** A group across hierarchies: one directory per hierarchy that holds one of its resources. */
export class Cgroup {
  private constructor(
    readonly name: string,
    private readonly placements: ReadonlyMap<Resource, Placement>,
    private readonly dirs: ReadonlyMap<string, CgroupDir>,
  ) {}

  /**
   * Make `name` in every hierarchy that holds one of `resources`. Throws when a resource has
   * no place here (call host.place first to skip with host.whyMissing instead).
   */
  static create(ctx: StepContext, host: CgroupHost, name: string, resources: readonly Resource[], prefer?: Version): Cgroup {
    const placements = new Map<Resource, Placement>();
    for (const r of resources) {
      const p = host.place(r, prefer);
      if (!p) throw new LabError(host.whyMissing(r, prefer));
      placements.set(r, p);
    }
    const dirs = new Map<string, CgroupDir>();
    const made: CgroupDir[] = [];
    try {
      for (const p of placements.values()) {
        if (dirs.has(p.mount)) continue;
        const root = CgroupDir.root(ctx, p.mount, p.version);
        if (p.version === 2) {
          // A cgroup2 child may only use the controllers its parent enables for it.
          for (const q of placements.values())
            if (q.mount === p.mount && q.controller !== null) {
              const r = root.enable(q.controller);
              if (!r.ok) throw new Error(`${r.code}: cannot enable ${q.controller} in ${root.file('cgroup.subtree_control')}`);
            }
        }
        const dir = root.child(name);
        made.push(dir);
        if (p.version === 1 && [...placements.values()].some((q) => q.mount === p.mount && q.controller === 'cpuset')) {
          // A new v1 cpuset group starts with no CPUs and no memory nodes: no task may join it
          // until both are set. Start from the parent's.
          dir.write('cpuset.mems', root.read('cpuset.mems').trim() || '0');
          dir.write('cpuset.cpus', root.read('cpuset.cpus').trim());
        }
        dirs.set(p.mount, dir);
      }
    } catch (e) {
      for (const d of made.reverse()) d.remove();
      throw e;
    }
    return new Cgroup(name, placements, dirs);
  }

  placement(resource: Resource): Placement {
    const p = this.placements.get(resource);
    if (!p) throw new Error(`cgroup ${this.name} was not made for ${resource}`);
    return p;
  }

  version(resource: Resource): Version {
    return this.placement(resource).version;
  }

  dir(resource: Resource): CgroupDir {
    return this.dirs.get(this.placement(resource).mount)!;
  }

  /** Every directory of the group (one per hierarchy). */
  get paths(): string[] {
    return [...this.dirs.values()].map((d) => d.path);
  }

  /** Move a process into the group in every hierarchy; throws when the kernel refuses. */
  addProcess(pid: number): void {
    for (const d of this.dirs.values()) {
      const r = d.addProcess(pid);
      if (!r.ok) throw new Error(`${r.code}: moving ${pid} into ${d.file('cgroup.procs')}: ${ERRNO_TEXT[r.code!] ?? 'refused'}`);
    }
  }

  private apply(resource: Resource, intent: Intent): Written {
    const dir = this.dir(resource);
    for (const w of intent.writes) dir.write(w.file, w.value);
    return {
      resource,
      version: dir.version,
      writes: intent.writes.map((w) => ({ file: dir.file(w.file), value: w.value })),
      article: intent.v1,
    };
  }

  limitCpu(quotaUs: number | null, periodUs = PERIOD_US): Written {
    return this.apply('cpu', cpuLimit(this.version('cpu'), quotaUs, periodUs));
  }

  setCpus(cpus: string): Written {
    return this.apply('cpuset', cpusetCpus(this.version('cpuset'), cpus));
  }

  /** A memory limit; where swap is on, swap is closed too so that the limit ends in an OOM kill. */
  limitMemory(bytes: number): Written {
    const v = this.version('memory');
    const swapOn = (tryRead('/proc/swaps') ?? '').trim().split('\n').length > 1;
    const dir = this.dir('memory');
    const noSwap = swapOn && dir.has(v === 1 ? 'memory.memsw.limit_in_bytes' : 'memory.swap.max');
    return this.apply('memory', memoryLimit(v, bytes, noSwap));
  }

  limitReadBps(device: string, bps: number | null): Written {
    return this.apply('io', readBps(this.version('io'), device, bps));
  }

  freeze(frozen: boolean): Written {
    return this.apply('freezer', freeze(this.version('freezer'), frozen));
  }

  /** The freezer's state now (v1 freezer.state; v2 cgroup.events "frozen"). */
  frozenState(opts: { show?: boolean } = {}): 'FROZEN' | 'FREEZING' | 'THAWED' {
    const v = this.version('freezer');
    const file = v === 1 ? 'freezer.state' : 'cgroup.events';
    const dir = this.dir('freezer');
    return frozenState(v, opts.show ? dir.show(file) : dir.read(file));
  }

  /** The group's CPU time so far, in microseconds, from the kernel's own accounting. */
  cpuUsageUsec(opts: { show?: boolean } = {}): number {
    const dir = this.dir('cpuacct');
    const f = cpuUsageFile(dir.version);
    return f.usec(opts.show ? dir.show(f.file) : dir.read(f.file));
  }

  /** The file cpuUsageUsec reads. */
  cpuUsagePath(): string {
    const dir = this.dir('cpuacct');
    return dir.file(cpuUsageFile(dir.version).file);
  }

  /** The CFS bandwidth counters (cpu.stat of the cpu controller): how often the quota stopped the group. */
  cpuThrottling(opts: { show?: boolean } = {}): Throttling {
    const dir = this.dir('cpu');
    return cpuThrottling(dir.version, opts.show ? dir.show('cpu.stat') : dir.read('cpu.stat'));
  }

  /** Bytes the group read from one device ("MAJ:MIN"), as the kernel's I/O accounting has it. */
  ioReadBytes(device: string, opts: { show?: boolean } = {}): number {
    const dir = this.dir('io');
    const file = ioStatFile(dir.version);
    return ioReadBytes(dir.version, opts.show ? dir.show(file) : dir.read(file), device);
  }

  memoryCounters(): MemoryCounters {
    const dir = this.dir('memory');
    return memoryCounters(dir.version, (f) => (dir.has(f) ? dir.read(f) : undefined));
  }

  /** Remove every directory of the group now. */
  remove(): void {
    const errors: string[] = [];
    for (const d of [...this.dirs.values()].reverse()) {
      try {
        d.remove();
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (errors.length > 0) throw new Error(errors.join('; '));
  }
}
