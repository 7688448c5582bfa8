// 09-cgroups, step 5: direct reads of a loop device, without and with a 1 MiB/s read limit on
// that device's MAJ:MIN.
import { join } from 'node:path';
import { truncateSync, writeFileSync } from 'node:fs';
import {
  bar,
  Cgroup,
  ioStatFile,
  CgroupHost,
  majMin,
  must,
  notMeasured,
  pause,
  round,
  showWritten,
  step,
  t,
  which,
  LabError,
  Workload,
  type StepContext,
  type Text,
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
  /** The limit file written (full path), and what it read back afterwards (logged, not checked). */
  readonly limitFile: string;
  readonly readBack: string;
  /** The group's own count of bytes read from the device (blkio.throttle.io_service_bytes / io.stat), around the throttled reads. */
  readonly counterFile: string;
  readonly countedBefore: number;
  readonly countedAfter: number;
}

/** `losetup -f` names a free device; it is recorded before `losetup DEV FILE` attaches it. */
async function attachLoop(ctx: StepContext, file: string): Promise<{ device: string; id: number }> {
  for (let tries = 0; tries < 5; tries++) {
    const device = (await must(ctx, ['losetup', '-f'])).stdout.trim();
    if (!/^\/dev\/loop\d+$/.test(device))
      throw new LabError({ en: `losetup -f printed ${JSON.stringify(device)}`, zh: `losetup -f 输出的是 ${JSON.stringify(device)}` });
    try {
      const { id } = await ctx.cleanup.create({ kind: 'loop', device, rel: ctx.cleanup.rel(file) }, { en: `loop device ${device} (${file})`, zh: `loop 设备 ${device}（${file}）` }, async () => {
        await must(ctx, ['losetup', device, file]);
      });
      return { device, id };
    } catch {
      // taken by someone else meanwhile: try the next free one
    }
  }
  throw new LabError({ en: 'no loop device could be attached', zh: '没能挂接任何 loop 设备' });
}

/** Direct reads from `device` for `seconds` inside `group`, with live progress. */
async function readRate(ctx: StepContext, device: string, seconds: number, group: Cgroup, label: Text): Promise<Rate> {
  ctx.log(t(`reading ${device} with O_DIRECT for ${seconds} s (${label.en}) …`, `用 O_DIRECT 读 ${device}，持续 ${seconds} 秒（${label.zh}）……`));
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
  const end = await w.line((o) => o.done === 1 || o.error !== undefined, t('its result', '结果'), 2000);
  if (end.error !== undefined)
    throw new LabError({
      en: `nslab-workload-dread: ${String(end.error)} failed (errno ${String(end.errno)})`,
      zh: `nslab-workload-dread：${String(end.error)} 失败（errno ${String(end.errno)}）`,
    });
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
    ctx.log(
      t(
        `${device} is block device ${numbers}; the article throttled 8:0, its /dev/sda: on this host nslab throttles its own loop device instead of a real disk`,
        `${device} 是块设备 ${numbers}；原文限制的是 8:0，即它的 /dev/sda：在本机 nslab 改为限制自己的 loop 设备，而不碰真实磁盘`,
      ),
    );
    const g = Cgroup.create(ctx, host, 'blkio', ['io']);
    try {
      const unthrottled = await readRate(ctx, device, 1, g, t('no limit', '不加限制'));
      const written = g.limitReadBps(numbers, READ_BPS);
      showWritten(ctx, written, `8:0 ${READ_BPS}`);
      const limitName = g.version('io') === 1 ? 'blkio.throttle.read_bps_device' : 'io.max';
      const readBack = g.dir('io').show(limitName).trim();
      ctx.log(t(`${limitName} reads back what nslab wrote; the proof is the rate below`, `${limitName} 读回的是 nslab 写的值；真正的证据是下面测到的速度`));
      const counterFile = g.dir('io').file(ioStatFile(g.version('io')));
      const countedBefore = g.ioReadBytes(numbers, { show: true });
      const throttled = await readRate(ctx, device, 3, g, t('1 MiB/s limit', '限速 1 MiB/s'));
      const countedAfter = g.ioReadBytes(numbers, { show: true });
      ctx.log(
        t(
          `the group's counter for ${numbers} grew by ${countedAfter - countedBefore} bytes; the program read ${throttled.bytes}`,
          `该组对 ${numbers} 的计数增加了 ${countedAfter - countedBefore} 字节；程序读了 ${throttled.bytes} 字节`,
        ),
      );
      const max = Math.max(unthrottled.mibps, throttled.mibps);
      const logBar = (label: Text, v: number) => {
        const b = `${bar(Math.log10(1 + v), Math.log10(1 + max))} ${v.toFixed(2).padStart(9)} MiB/s`;
        ctx.log(t(`${label.en.padEnd(22)} ${b} (log scale)`, `${label.zh} ${b}（对数刻度）`));
      };
      // (the zh labels are padded by hand: a Chinese character takes two columns)
      logBar(t('read, no limit', '读，不加限制    '), unthrottled.mibps);
      logBar(t('read, 1 MiB/s limit', '读，限速 1 MiB/s'), throttled.mibps);
      const limitFile = written.writes[0]!.file;
      ctx.measure('blkio', { version: `cgroup v${written.version}`, device, numbers, file: limitFile, throttled: `${throttled.bytes} bytes in ${throttled.seconds.toFixed(3)} s` });
      ctx.measure('MiB/s', { noLimit: round(unthrottled.mibps), limit1MiBps: round(throttled.mibps, 3) });
      return { device, numbers, unthrottled, throttled, version: written.version, limitFile, readBack, counterFile, countedBefore, countedAfter };
    } finally {
      g.remove();
    }
  } finally {
    const err = ctx.cleanup.pop(id);
    if (err) throw new LabError({ en: err, zh: `移除 loop 设备失败：${err}` });
  }
}

export const blkio = step<BlkioResult | Unmeasured>({
  id: 'blkio',
  title: { en: 'blkio: direct reads throttled to 1 MiB/s', zh: 'blkio：直接读被限流到 1 MiB/s' },
  explain: {
    en: 'The article throttled reads from its disk 8:0 (its /dev/sda); your disk has other numbers (ls -l /dev/sda shows them), and nslab leaves real disks alone: it attaches a scratch file to a loop device (major 7) and reads it with O_DIRECT, so that every read is a block request the throttle sees (page-cache hits would bypass it). First without a limit, then with 1 MiB/s on that device\'s MAJ:MIN: the kernel delays each request until the group is within its budget, and counts the bytes in the group\'s own I/O statistics.',
    zh: '原文限制的是它的磁盘 8:0（即 /dev/sda）；你的磁盘设备号可能不同（ls -l /dev/sda 可以看到），而且 nslab 不碰真实磁盘：它把一个临时文件挂成 loop 设备（主设备号 7），用 O_DIRECT 读它，每次读都成为限流器看得见的块请求（命中页缓存的读会绕过它）。先不加限制读一次，再对这个设备的 MAJ:MIN（主、次设备号）设 1 MiB/s：内核推迟每个请求，直到该组回到预算之内，并把读到的字节记入该组自己的 I/O 统计。',
  },
  article: "echo '8:0 1048576' > /sys/fs/cgroup/blkio/haoel/blkio.throttle.read_bps_device; dd if=/dev/sda1 of=/dev/null",
  modern: 'v1: echo "7:N 1048576" > …/blkio.throttle.read_bps_device; v2: echo "7:N rbps=1048576" > …/io.max; O_DIRECT reads of /dev/loopN',
  async run(ctx) {
    const host = CgroupHost.discover();
    const skip = missing(host, ['io']);
    if (skip) return skip;
    if (!which('losetup')) return { skip: t('the losetup command is missing (apt-get install mount)', '缺少 losetup 命令（apt-get install mount）') };
    return measure(ctx, host);
  },
  checks: [
    {
      id: 'reads-counted',
      description: t(
        "The kernel counts the throttled reads in the group's own I/O statistics for that device: the counter grows by the bytes the program read (±5 %).",
        '内核把限流下的读记入该组自己对这个设备的 I/O 统计：计数的增量等于程序读到的字节数（±5 %）。',
      ),
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const counted = o.countedAfter - o.countedBefore;
        return {
          observed: t(`${o.counterFile} ${o.numbers}: +${counted} bytes; the program read ${o.throttled.bytes}`, `${o.counterFile} ${o.numbers}：+${counted} 字节；程序读了 ${o.throttled.bytes} 字节`),
          expected: `${o.throttled.bytes} ± 5 %`,
          pass: o.throttled.bytes > 0 && Math.abs(counted - o.throttled.bytes) <= 0.05 * o.throttled.bytes,
        };
      },
    },
    {
      id: 'throttled-1mib',
      description: t(
        `Throttled direct reads run at 1 MiB/s within ±${READ_TOLERANCE * 100} % (bytes read / elapsed time over 3 s).`,
        `限流后直接读的速度是 1 MiB/s，误差不超过 ±${READ_TOLERANCE * 100} %（3 秒内读到的字节数除以耗时）。`,
      ),
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: t(
                `${o.throttled.mibps.toFixed(3)} MiB/s (${o.throttled.bytes} bytes in ${o.throttled.seconds.toFixed(2)} s)`,
                `${o.throttled.mibps.toFixed(3)} MiB/s（${o.throttled.seconds.toFixed(2)} 秒读 ${o.throttled.bytes} 字节）`,
              ),
              expected: `1 MiB/s ± ${READ_TOLERANCE * 100} %`,
              pass: Math.abs(o.throttled.mibps - 1) <= READ_TOLERANCE && o.throttled.seconds >= 2,
            },
    },
    {
      id: 'unthrottled-10x',
      description: t(`Without the limit the same reads are at least ${UNTHROTTLED_FACTOR}× faster.`, `不加限制时，同样的读至少快 ${UNTHROTTLED_FACTOR} 倍。`),
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
