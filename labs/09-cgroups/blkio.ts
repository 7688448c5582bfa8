// 09-cgroups, step 5: direct reads of a loop device, without and with a 1 MiB/s read limit on
// that device's MAJ:MIN.
import { join } from 'node:path';
import { truncateSync, writeFileSync } from 'node:fs';
import {
  bar,
  Cgroup,
  CgroupHost,
  majMin,
  must,
  notMeasured,
  pause,
  round,
  showWritten,
  step,
  which,
  Workload,
  type StepContext,
  type Unmeasured,
  type Version,
} from '../../runner/kit/index.js';
import { missing } from './hierarchies.js';

const MiB = 1024 * 1024;
const READ_BPS = MiB;
const READ_TOLERANCE = 0.15;
const UNTHROTTLED_FACTOR = 10;

/** Bytes read in so many seconds. */
export interface Rate {
  readonly bytes: number;
  readonly seconds: number;
  readonly mibps: number;
}

/** Direct reads of a loop device, first free, then limited to 1 MiB/s. */
export interface BlkioResult {
  readonly device: string;
  /** Its MAJ:MIN. */
  readonly numbers: string;
  readonly unthrottled: Rate;
  readonly throttled: Rate;
  readonly version: Version;
  /** The limit file written (full path), and what it read back afterwards. */
  readonly limitFile: string;
  readonly readBack: string;
}

/** `losetup -f` names a free device; it is recorded before `losetup DEV FILE` attaches it. */
async function attachLoop(ctx: StepContext, file: string): Promise<{ device: string; id: number }> {
  for (let tries = 0; tries < 5; tries++) {
    const device = (await must(ctx, ['losetup', '-f'])).stdout.trim();
    if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup -f printed ${JSON.stringify(device)}`);
    try {
      const { id } = await ctx.cleanup.create({ kind: 'loop', device, rel: ctx.cleanup.rel(file) }, `loop device ${device} (${file})`, async () => {
        await must(ctx, ['losetup', device, file]);
      });
      return { device, id };
    } catch {
      // taken by someone else meanwhile: try the next free one
    }
  }
  throw new Error('no loop device could be attached');
}

/** Direct reads from `device` for `seconds` inside `group`, with live progress. */
async function readRate(ctx: StepContext, device: string, seconds: number, group: Cgroup, label: string): Promise<Rate> {
  ctx.log(`reading ${device} with O_DIRECT for ${seconds} s (${label}) …`);
  const w = await Workload.start(ctx, 'dread', [device, String(seconds), String(64 * 1024)], [group]);
  const exited = w.exit(seconds * 1000 + 10_000);
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const ns = Math.max(0, ...w.lines.map((l) => Number(l.ns ?? 0)));
    ctx.progress(Math.min(1, ns / 1e9 / seconds), label);
    await Promise.race([exited, pause(ctx, 100)]);
  }
  await exited;
  const end = await w.line((o) => o.done === 1 || o.error !== undefined, 'its result', 2000);
  if (end.error !== undefined) throw new Error(`nslab-workload-dread: ${String(end.error)} failed (errno ${String(end.errno)})`);
  const bytes = Number(end.bytes);
  const secs = Number(end.ns) / 1e9;
  return { bytes, seconds: secs, mibps: bytes / MiB / secs };
}

async function measure(ctx: StepContext, host: CgroupHost): Promise<BlkioResult> {
  const file = join(ctx.scratch(), 'nslab-blkio.img');
  writeFileSync(file, '');
  truncateSync(file, 64 * MiB); // sparse: reading it costs no disk
  const { device, id } = await attachLoop(ctx, file);
  try {
    const numbers = majMin(device);
    ctx.log(`${device} is block device ${numbers} (the article throttled 8:0, its /dev/sda)`);
    const g = Cgroup.create(ctx, host, 'blkio', ['io']);
    try {
      const unthrottled = await readRate(ctx, device, 1, g, 'no limit');
      const written = g.limitReadBps(numbers, READ_BPS);
      showWritten(ctx, written);
      const limitName = g.version('io') === 1 ? 'blkio.throttle.read_bps_device' : 'io.max';
      const readBack = g.dir('io').show(limitName).trim();
      const throttled = await readRate(ctx, device, 3, g, '1 MiB/s limit');
      const max = Math.max(unthrottled.mibps, throttled.mibps);
      const logBar = (label: string, v: number) =>
        ctx.log(`${label.padEnd(22)} ${bar(Math.log10(1 + v), Math.log10(1 + max))} ${v.toFixed(2).padStart(9)} MiB/s (log scale)`);
      logBar('read, no limit', unthrottled.mibps);
      logBar('read, 1 MiB/s limit', throttled.mibps);
      const limitFile = written.writes[0]!.file;
      ctx.measure('blkio', {
        version: written.version,
        device,
        numbers,
        file: limitFile,
        unthrottledMiBps: round(unthrottled.mibps),
        throttledMiBps: round(throttled.mibps, 3),
        throttledBytes: throttled.bytes,
        throttledSeconds: round(throttled.seconds, 3),
      });
      return { device, numbers, unthrottled, throttled, version: written.version, limitFile, readBack };
    } finally {
      g.remove();
    }
  } finally {
    const err = ctx.cleanup.pop(id);
    if (err) throw new Error(err);
  }
}

export const blkio = step<BlkioResult | Unmeasured>({
  id: 'blkio',
  title: { en: 'blkio: direct reads throttled to 1 MiB/s', zh: 'blkio:直接读被限制在 1 MiB/s' },
  explain: {
    en: 'The article throttled reads from its disk 8:0. We attach a scratch file to a loop device and read it with O_DIRECT, so that every read is a block request the throttle sees (page-cache hits would bypass it). First without a limit, then with 1 MiB/s on that device\'s MAJ:MIN: the kernel delays each request until the group is within its budget.',
    zh: '原文限制的是磁盘 8:0 的读速度。我们把一个临时文件挂成 loop 设备,用 O_DIRECT 读它,每次读都成为节流器看得见的块请求(命中页缓存的读会绕过它)。先不加限制读一次,再对这个设备的 主:次 设备号设 1 MiB/s:内核推迟每个请求,直到该组回到预算之内。',
  },
  article: "echo '8:0 1048576' > /sys/fs/cgroup/blkio/haoel/blkio.throttle.read_bps_device; dd if=/dev/sda1 of=/dev/null",
  modern: 'v1: echo "7:N 1048576" > …/blkio.throttle.read_bps_device; v2: echo "7:N rbps=1048576" > …/io.max; O_DIRECT reads of /dev/loopN',
  async run(ctx) {
    const host = CgroupHost.discover();
    const skip = missing(host, ['io']);
    if (skip) return skip;
    if (!which('losetup')) return { skip: 'the losetup command is missing (apt-get install mount)' };
    return measure(ctx, host);
  },
  checks: [
    {
      id: 'limit-written',
      description: "The limit file reads back the loop device's MAJ:MIN with 1048576 bytes per second.",
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const ok =
          o.version === 1
            ? o.readBack === `${o.numbers} ${READ_BPS}`
            : o.readBack.split('\n').some((l) => l.startsWith(`${o.numbers} `) && l.includes(`rbps=${READ_BPS}`));
        return { observed: `${o.limitFile}: ${o.readBack}`, expected: `${o.numbers} … ${READ_BPS}`, pass: ok };
      },
    },
    {
      id: 'throttled-1mib',
      description: `Throttled direct reads run at 1 MiB/s within ±${READ_TOLERANCE * 100} % (bytes read / elapsed time over 3 s).`,
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: `${o.throttled.mibps.toFixed(3)} MiB/s (${o.throttled.bytes} bytes in ${o.throttled.seconds.toFixed(2)} s)`,
              expected: `1 MiB/s ± ${READ_TOLERANCE * 100} %`,
              pass: Math.abs(o.throttled.mibps - 1) <= READ_TOLERANCE && o.throttled.seconds >= 2,
            },
    },
    {
      id: 'unthrottled-10x',
      description: `Without the limit the same reads are at least ${UNTHROTTLED_FACTOR}× faster.`,
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: `${o.unthrottled.mibps.toFixed(1)} MiB/s vs ${o.throttled.mibps.toFixed(3)} MiB/s (${(o.unthrottled.mibps / o.throttled.mibps).toFixed(0)}×)`,
              expected: `≥ ${UNTHROTTLED_FACTOR}×`,
              pass: o.unthrottled.mibps >= UNTHROTTLED_FACTOR * o.throttled.mibps,
            },
    },
  ],
});
