// Small helpers of lab 12: the kernel's answers parsed (dmsetup status lines, loop backing
// files, file allocation) and the lab's two kernel requirements.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { which, type Requirement } from '../../runner/kit/index.js';

/** `dmsetup status` of a thin-pool: <start> <len> thin-pool <transaction> <meta used>/<total> <data used>/<total> … */
export interface PoolStatus {
  readonly line: string;
  readonly transaction: number;
  readonly metaUsed: number;
  readonly metaTotal: number;
  readonly dataUsed: number;
  readonly dataTotal: number;
}

export function parsePoolStatus(line: string): PoolStatus {
  const m = /thin-pool (\d+) (\d+)\/(\d+) (\d+)\/(\d+)/.exec(line);
  if (!m) throw new Error(`not a thin-pool status line: ${line.trim()}`);
  const [transaction, metaUsed, metaTotal, dataUsed, dataTotal] = m.slice(1).map(Number) as [number, number, number, number, number];
  return { line: line.trim(), transaction, metaUsed, metaTotal, dataUsed, dataTotal };
}

/** `dmsetup status` of a thin volume: <start> <len> thin <mapped sectors> <highest mapped sector|->. */
export function thinMappedSectors(line: string): number {
  const m = /thin (\d+) /.exec(`${line.trim()} `);
  if (!m) throw new Error(`not a thin status line: ${line.trim()}`);
  return Number(m[1]);
}

/** The bytes dd says it copied ("4096 bytes (4.1 kB, 4.0 KiB) copied", "0 bytes copied"); -1 when it said nothing. */
export function ddBytes(stderr: string): number {
  const m = /^(\d+) bytes?\b.*copied/m.exec(stderr);
  return m ? Number(m[1]) : -1;
}

/** Field 3 of /proc/PID/stat: R, S, D (uninterruptible: waiting for I/O), Z…; undefined once gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Apparent size and bytes really allocated (st_blocks × 512) of a file. */
export function allocation(path: string): { size: number; allocated: number } {
  const st = statSync(path);
  return { size: st.size, allocated: st.blocks * 512 };
}

/** The file a loop device reads and writes (/sys/block/loopN/loop/backing_file). */
export function backingFile(device: string): string | undefined {
  try {
    return readFileSync(`/sys/block/${basename(device)}/loop/backing_file`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** MAJ:MIN of a block device node (a /dev/mapper name may be a node of its own, not a link to dm-N). */
export function majMin(device: string): string {
  const rdev = statSync(device).rdev;
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff);
  return `${major}:${minor}`;
}

/** Size in bytes of a block device (sysfs counts 512-byte sectors). */
export function blockBytes(device: string): number {
  return Number(readFileSync(`/sys/dev/block/${majMin(device)}/size`, 'utf8').trim()) * 512;
}

/**
 * Names of the device-mapper devices of one run: nslab-<token>-…. Only this run's token is
 * looked for, so the devices of a parallel run never count as ours.
 */
export function nslabDmDevices(token: string): string[] {
  const prefix = `nslab-${token}-`;
  try {
    return readdirSync('/sys/block')
      .filter((d) => d.startsWith('dm-'))
      .map((d) => readFileSync(`/sys/block/${d}/dm/name`, 'utf8').trim())
      .filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

/** Loop devices attached to any of `files`. */
export function loopsBacking(files: readonly string[]): string[] {
  try {
    return readdirSync('/sys/block')
      .filter((d) => d.startsWith('loop'))
      .filter((d) => files.includes(backingFile(d)?.replace(/ \(deleted\)$/, '') ?? ''));
  } catch {
    return [];
  }
}

/** `modprobe -n` (a dry run: nothing is loaded) finds the module on disk. */
function modprobeFinds(module: string): boolean {
  const modprobe = which('modprobe');
  return modprobe !== undefined && spawnSync(modprobe, ['-n', module], { stdio: 'ignore' }).status === 0;
}

const REMEDY_VM = {
  en: 'run with --vm (sudo npx nslab run 12-devicemapper --vm): a disposable VM whose stock kernel has it',
  zh: '加上 --vm 运行（sudo npx nslab run 12-devicemapper --vm）：在一次性虚拟机里运行，它的标准内核带有 device-mapper',
};

/** device-mapper with the thin-pool target (loaded, or loadable on first use). */
export const thinPool: Requirement = {
  id: 'device-mapper',
  description: { en: 'the kernel has device-mapper with the thin-pool target', zh: '内核带有 device-mapper 及其 thin-pool 目标' },
  probe: () => {
    const devices = existsSync('/proc/devices') ? readFileSync('/proc/devices', 'utf8') : '';
    const dmLoaded = /^\s*\d+ device-mapper$/m.test(devices);
    if (!dmLoaded && !modprobeFinds('dm_mod'))
      return { ok: false, reason: { en: 'no device-mapper in this kernel', zh: '这个内核没有 device-mapper' }, remedy: REMEDY_VM };
    if (!dmLoaded)
      return {
        ok: false,
        reason: { en: 'device-mapper is a module that is not loaded', zh: 'device-mapper 是一个尚未加载的模块' },
        remedy: { en: `sudo modprobe dm_thin_pool, or ${REMEDY_VM.en}`, zh: `执行 sudo modprobe dm_thin_pool，或者${REMEDY_VM.zh}` },
      };
    // The kernel loads dm-thin-pool by itself when a table names the thin-pool target.
    if (existsSync('/sys/module/dm_thin_pool') || modprobeFinds('dm_thin_pool')) return { ok: true };
    return {
      ok: false,
      reason: { en: 'device-mapper has no thin-pool target (dm_thin_pool)', zh: 'device-mapper 没有 thin-pool 目标（dm_thin_pool）' },
      remedy: REMEDY_VM,
    };
  },
};

/** The loop driver: /dev/loop-control (util-linux's losetup -f asks it for a free device). */
export const loopDriver: Requirement = {
  id: 'loop',
  description: { en: 'the kernel has loop devices', zh: '内核支持 loop 设备' },
  probe: () =>
    existsSync('/dev/loop-control') || existsSync('/sys/module/loop')
      ? { ok: true }
      : {
          ok: false,
          reason: { en: 'this kernel has no loop devices', zh: '这个内核没有 loop 设备' },
          remedy: { en: `sudo modprobe loop, or ${REMEDY_VM.en}`, zh: `执行 sudo modprobe loop，或者${REMEDY_VM.zh}` },
        },
};
