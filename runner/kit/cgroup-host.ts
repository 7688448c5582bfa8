// Host discovery for the cgroup driver: which hierarchies are mounted (/proc/self/mountinfo),
// which controllers are bound where (/proc/cgroups), and so where each resource is controlled.
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { tryRead } from '../core/proc.js';
import { t, type Text } from '../core/model.js';
import { CONTROLLER, parseCgroupMounts, parseProcCgroups, type CgroupMount, type Resource, type Subsystem, type Version } from './cgroup-parse.js';

export interface Placement {
  readonly resource: Resource;
  readonly version: Version;
  /** The hierarchy's mount point; groups are made directly below it. */
  readonly mount: string;
  /** The controller's name there; null for a cgroup2 core feature. */
  readonly controller: string | null;
}

export class CgroupHost {
  constructor(
    readonly mounts: readonly CgroupMount[],
    readonly subsystems: readonly Subsystem[],
    /** The cgroup2 root's cgroup.controllers (empty without cgroup2). */
    readonly v2Controllers: readonly string[],
  ) {}

  /** The host as it is now. */
  static discover(): CgroupHost {
    const subsystems = parseProcCgroups(readOr('/proc/cgroups', ''));
    const mounts = parseCgroupMounts(readOr('/proc/self/mountinfo', ''), subsystems.map((s) => s.name));
    const v2 = mounts.find((m) => m.version === 2);
    const v2Controllers = v2 ? readOr(join(v2.mount, 'cgroup.controllers'), '').trim().split(/\s+/).filter(Boolean) : [];
    return new CgroupHost(mounts, subsystems, v2Controllers);
  }

  get v2(): CgroupMount | undefined {
    return this.mounts.find((m) => m.version === 2);
  }

  get v1(): CgroupMount[] {
    return this.mounts.filter((m) => m.version === 1);
  }

  get mode(): 'v1' | 'v2' | 'hybrid' | 'none' {
    const v1 = this.v1.some((m) => m.controllers.length > 0);
    if (v1 && this.v2) return 'hybrid';
    return v1 ? 'v1' : this.v2 ? 'v2' : 'none';
  }

  /** Where a resource is controlled here: a v1 hierarchy that has it, else cgroup2 when it offers it. */
  place(resource: Resource, prefer?: Version): Placement | undefined {
    const names = CONTROLLER[resource];
    const v1 = this.v1.find((m) => m.controllers.includes(names.v1));
    const v2 = this.v2;
    const onV2 = v2 !== undefined && (names.v2 === null || this.v2Controllers.includes(names.v2));
    const p1: Placement | undefined = v1 && { resource, version: 1, mount: v1.mount, controller: names.v1 };
    const p2: Placement | undefined = onV2 ? { resource, version: 2, mount: v2.mount, controller: names.v2 } : undefined;
    if (prefer === 2) return p2;
    if (prefer === 1) return p1;
    return p1 ?? p2;
  }

  /** Why a resource has no place, in one sentence. */
  whyMissing(resource: Resource, prefer?: Version): Text {
    const names = CONTROLLER[resource];
    const bound = this.v1.some((m) => m.controllers.includes(names.v1));
    const v1 =
      this.v1.length === 0
        ? t('no cgroup v1 hierarchy is mounted', '没有挂载任何 cgroup v1 层级')
        : t(`no cgroup v1 hierarchy has the ${names.v1} controller`, `没有哪个 cgroup v1 层级带 ${names.v1} 控制器`);
    const offers = this.v2Controllers.length ? this.v2Controllers.join(' ') : '';
    const v2 = !this.v2
      ? t('cgroup2 is not mounted', '没有挂载 cgroup2')
      : t(
          `cgroup2 at ${this.v2.mount} offers ${offers || 'no controller'}${bound ? ` (${names.v1} is bound to a v1 hierarchy)` : ''}`,
          `${this.v2.mount} 上的 cgroup2 ${offers ? `提供的控制器是 ${offers}` : '不提供任何控制器'}${bound ? `（${names.v1} 绑在一个 v1 层级上）` : ''}`,
        );
    const v2name = names.v2 ?? resource;
    if (prefer === 2) return t(`the ${v2name} controller is not available in cgroup2 here: ${v2.en}`, `这里的 cgroup2 没有 ${v2name} 控制器：${v2.zh}`);
    if (prefer === 1) return t(`the ${names.v1} controller is not available in cgroup v1 here: ${v1.en}`, `这里的 cgroup v1 没有 ${names.v1} 控制器：${v1.zh}`);
    return t(`the ${resource} controller is not available here: ${v1.en}, and ${v2.en}`, `这里没有 ${resource} 控制器：${v1.zh}，并且${v2.zh}`);
  }
}

function readOr(path: string, fallback: string): string {
  return tryRead(path) ?? fallback;
}

/**
 * "MAJ:MIN" of a block device node (/dev/loop3 → "7:3"), from the node's own rdev, so that it
 * also works for a /dev/mapper name that is a node of its own rather than a link to dm-N.
 */
export function majMin(device: string): string {
  const rdev = statSync(device).rdev;
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff);
  return `${major}:${minor}`;
}
