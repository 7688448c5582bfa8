// `nslab run|verify|shell <lab> --vm`, `nslab vm prepare` and the doctor's VM line: the labs run
// inside a throw-away VM on a stock kernel, so that what this host's kernel lacks (device-mapper,
// a pure cgroup-v2 layout) can still be replayed and verified, and nothing touches the host.
import { readFileSync } from 'node:fs';
import { hostInfo, version } from '../host.js';
import { exitCodeFor, onInterrupt } from '../interrupt.js';
import { isRoot } from '../../kit/requirements.js';
import { render, type ReporterName } from '../report/index.js';
import { t, type Lang, type Report, type Text } from '../../core/model.js';
import { bootVm, type VmOutcome } from './boot.js';
import { cachedKernelFor, cacheRoot, cacheSize, LAB_MODULES, prepareKernel, type PreparedKernel } from './kernel.js';
import { platform, type Accel, type Platform } from './platform.js';
import { progressBar } from './progress.js';

type Out = (s: string) => void;

export interface VmRequest {
  readonly command: 'run' | 'verify' | 'shell' | 'try';
  /** More arguments after the labs (try: the exercise, --script FILE). */
  readonly extra?: readonly string[];
  /** Files for the guest, by name (in GUEST_OUT there): the host's /tmp is not the guest's. */
  readonly files?: Readonly<Record<string, string>>;
  /** Lab ids (resolved by the CLI), or empty with `all`. */
  readonly labs: readonly { id: string; title: { en: string; zh: string } }[];
  readonly all: boolean;
  readonly lang: Lang;
  readonly reporter: ReporterName;
}

const err = (line: string) => process.stderr.write(`${line}\n`);

function describe(k: PreparedKernel): string {
  return k.source === 'host' ? `this host's kernel ${k.kver}` : `Debian kernel ${k.kver} (${k.package} ${k.version})`;
}

/**
 * The guest's environment: only what the guest's nslab should see of ours, and how the guest's
 * CPU runs (NSLAB_VM_ACCEL_KIND: `kvm`, or `tcg` when emulated, where a lab sized for real
 * hardware, like 11-aufs's benchmark, scales its workload down and says so).
 */
export function guestEnv(lang: Lang, interactive: boolean, accel: Accel['kind']): Record<string, string> {
  const env: Record<string, string> = {
    HOME: '/root',
    NSLAB_IN_VM: '1',
    NSLAB_VM_ACCEL_KIND: accel,
    TERM: process.env.TERM ?? 'vt100',
    LANG: process.env.LANG ?? 'C.UTF-8',
  };
  const colour = (interactive ? process.stdin.isTTY : process.stdout.isTTY) === true && !process.env.NO_COLOR;
  if (!colour) env.NO_COLOR = '1';
  void lang;
  return env;
}

function seconds(env: string | undefined, fallback: number): number {
  const n = Number(env);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** A report for a VM that gave no verdict: every requested lab failed, with the reason as a check. */
function errorReport(req: VmRequest, reason: string): Report {
  return {
    nslab: version(),
    host: hostInfo(),
    labs: req.labs.map((l) => ({
      id: l.id,
      title: l.title[req.lang],
      status: 'failed',
      reason: req.lang === 'zh' ? `虚拟机出错：${reason}` : `VM error: ${reason}`,
      steps: [
        {
          id: 'vm',
          title: req.lang === 'zh' ? '在虚拟机中运行' : 'Run in the VM',
          status: 'failed',
          checks: [
            {
              id: 'vm-result',
              description: t('The VM ran the lab and handed back its exit code and report.', '虚拟机运行了实验，并交回了退出码和报告。')[req.lang],
              status: 'failed',
              observed: reason,
              expected: t('an exit code and a report from the guest', '客户机交回的退出码和报告')[req.lang],
            },
          ],
        },
      ],
    })),
  };
}

function tail(text: string, lines: number): string {
  return text.replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join('\n');
}

/** The VM platform, or the exit code after saying why it cannot be used (4: not here; 1: not root). */
function usable(needsRoot: Text, lang: Lang): { platform: Platform } | number {
  const p = platform();
  const zh = lang === 'zh';
  if (!p.ok) {
    const missing = p.missing.map((m) => (zh ? `缺少${m.what.zh}（${m.remedy.zh}）` : `${m.what.en} is missing (${m.remedy.en})`));
    err(zh ? `nslab：这里用不了虚拟机：${missing.join('；')}。` : `nslab: the VM path is not available here: ${missing.join('; ')}.`);
    return 4;
  }
  if (!isRoot() && process.env.NSLAB_VM_CACHE === undefined) {
    err(`nslab${zh ? '：' : ': '}${needsRoot[lang]}`);
    return 1;
  }
  return p;
}

/** Run `nslab <command> <labs>` inside the VM; the exit code is the guest's verdict. */
export async function runInVm(req: VmRequest, out: Out): Promise<number> {
  const p = usable(
    t(
      '--vm needs root (it shares the host root with the VM and caches a kernel in /var/cache/nslab): run it with sudo.',
      '--vm 需要 root（它把宿主机的根目录共享给虚拟机，并把内核缓存在 /var/cache/nslab）：请用 sudo 运行。',
    ),
    req.lang,
  );
  if (typeof p === 'number') return p;
  const interactive = req.command === 'shell' || (req.command === 'try' && !(req.extra ?? []).includes('--script'));
  const machine = req.reporter !== 'human';
  const zh = req.lang === 'zh';
  const interrupt = onInterrupt(interactive ? () => undefined : (line) => err(`\n${line}`), req.lang);
  try {
    const bar = progressBar(req.lang);
    let kernel: PreparedKernel;
    try {
      kernel = await prepareKernel(req.labs.map((l) => l.id), bar, interrupt.signal);
    } catch (e) {
      if (interrupt.received()) return exitCodeFor(interrupt.received()!);
      const why = (e as Error).message;
      err(zh ? `nslab：虚拟机没有可用的内核：${why}` : `nslab: no kernel for the VM: ${why}`);
      return 1;
    }
    err(
      zh
        ? `nslab：正在启动虚拟机：${describe(kernel)}，${p.platform.accel.why.zh}；宿主机的根目录以只读方式共享（/etc 上叠了一层用完即弃的可写层），没有网络设备。`
        : `nslab: booting a VM: ${describe(kernel)}, ${p.platform.accel.why.en}; the host's root is shared read-only (with a throw-away layer over /etc), no network device.`,
    );
    const args = [req.command, ...(req.all ? ['--all'] : req.labs.map((l) => l.id)), ...(req.extra ?? []), '--lang', req.lang, ...(machine ? ['--reporter', req.reporter] : [])];
    const fault = process.env.NSLAB_VM_FAULT;
    const script = process.env.NSLAB_VM_TEST_SCRIPT ? readFileSync(process.env.NSLAB_VM_TEST_SCRIPT, 'utf8') : undefined;
    const outcome: VmOutcome = await bootVm(
      p.platform,
      kernel,
      {
        args,
        captureStdout: machine,
        interactive,
        env: guestEnv(req.lang, interactive, p.platform.accel.kind),
        timeoutS: seconds(process.env.NSLAB_VM_TIMEOUT, 900),
        memoryMiB: seconds(process.env.NSLAB_VM_MEMORY, 1024),
        ...(fault ? { fault } : {}),
        ...(script !== undefined ? { script } : {}),
        ...(req.files !== undefined ? { files: req.files } : {}),
      },
      {
        // Machine reporters keep stdout for the document: the guest's live output goes to stderr.
        write: machine ? (c) => process.stderr.write(c) : (c) => process.stdout.write(c),
        signal: interrupt.signal,
        received: interrupt.received,
      },
    );
    switch (outcome.kind) {
      case 'exited':
        if (machine) out(outcome.stdout.replace(/\n$/, ''));
        {
          const wall = (outcome.wallMs / 1000).toFixed(1);
          const boot = outcome.bootMs !== undefined ? (outcome.bootMs / 1000).toFixed(1) : undefined;
          err(
            zh
              ? `nslab：虚拟机用时 ${wall} 秒结束${boot !== undefined ? `（从启动到开始任务：客户机时间 ${boot} 秒）` : ''}；客户机退出码 ${outcome.code}。`
              : `nslab: the VM finished in ${wall} s${boot !== undefined ? ` (boot to job: ${boot} s of guest time)` : ''}; guest exit code ${outcome.code}.`,
          );
        }
        return outcome.code;
      case 'interrupted':
        err(zh ? `nslab：${outcome.signal}：虚拟机已停止，它的文件已删除。` : `nslab: ${outcome.signal}: the VM was stopped and its files removed.`);
        return exitCodeFor(outcome.signal);
      case 'error': {
        err(zh ? `nslab：虚拟机出错：${outcome.reason}` : `nslab: VM error: ${outcome.reason}`);
        if (outcome.console.trim()) err(zh ? `nslab：客户机控制台最后的输出：\n${tail(outcome.console, 15)}` : `nslab: the guest console ended with:\n${tail(outcome.console, 15)}`);
        if (machine) out(render(req.reporter as Exclude<ReporterName, 'human'>, errorReport(req, outcome.reason)).replace(/\n$/, ''));
        else if (req.command !== 'shell' && req.command !== 'try') out(zh ? `✗ 虚拟机出错：${outcome.reason}——没有任何检查通过` : `✗ VM error: ${outcome.reason} — no check passed`);
        return 1;
      }
    }
  } finally {
    interrupt.dispose();
  }
}

/** `nslab vm prepare`: build the VM cache now (kernel and modules), with a progress bar. */
export async function vmPrepare(out: Out, lang: Lang = 'en'): Promise<number> {
  const zh = lang === 'zh';
  const p = usable(
    t('vm prepare writes to /var/cache/nslab and needs root: sudo npx nslab vm prepare.', 'vm prepare 要写入 /var/cache/nslab，需要 root：sudo npx nslab vm prepare。'),
    lang,
  );
  if (typeof p === 'number') return p;
  const interrupt = onInterrupt((line) => err(`\n${line}`), lang);
  const t0 = Date.now();
  const bar = progressBar(lang);
  try {
    const k = await prepareKernel(Object.keys(LAB_MODULES), bar, interrupt.signal);
    bar.done(zh ? `虚拟机内核已就绪：${describe(k)}` : `VM kernel ready: ${describe(k)}`);
    const size = (cacheSize(k.dir) / 1048576).toFixed(0);
    const mods = k.modules.map((m) => m.replace(/\.ko$/, '')).join(' ');
    out(`${zh ? '内核' : 'kernel  '} ${k.dir}/${k.kernel}${k.pvh ? (zh ? '（ELF，PVH 启动）' : ' (ELF, PVH boot)') : ''}`);
    out(`${zh ? '模块' : 'modules '} ${k.modules.length}${zh ? '：' : ': '}${mods}`);
    out(zh ? `缓存 ${k.dir}（${size} MiB），构建于 ${k.builtAt}` : `cache    ${k.dir} (${size} MiB), built ${k.builtAt}`);
    out(zh ? `加速 ${p.platform.accel.kind}：${p.platform.accel.why.zh}` : `accel    ${p.platform.accel.kind}: ${p.platform.accel.why.en}`);
    out(zh ? `用时 ${((Date.now() - t0) / 1000).toFixed(1)} 秒` : `took     ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  } catch (e) {
    if (interrupt.received()) return exitCodeFor(interrupt.received()!);
    const why = (e as Error).message;
    err(zh ? `nslab：vm prepare 失败：${why}` : `nslab: vm prepare failed: ${why}`);
    return 1;
  } finally {
    interrupt.dispose();
  }
}

/** One line for `nslab doctor`: can labs run with --vm here, and with which kernel. */
export function vmDoctorLine(lang: Lang = 'en'): string {
  const zh = lang === 'zh';
  const p = platform();
  if (!p.ok) {
    const missing = p.missing.map((m) => (zh ? `缺少${m.what.zh}——${m.remedy.zh}` : `${m.what.en} missing — ${m.remedy.en}`)).join(zh ? '；' : '; ');
    return zh ? `✗ 虚拟机（--vm）        不可用：${missing}` : `✗ VM path (--vm)        unavailable: ${missing}`;
  }
  const k = cachedKernelFor(Object.keys(LAB_MODULES)); // a kernel every lab can use
  const kernel = k
    ? zh
      ? `已缓存内核：${describe(k)}`
      : `kernel cached: ${describe(k)}`
    : zh
      ? `还没有缓存内核：第一次 --vm 运行（或 nslab vm prepare）会把它取到 ${cacheRoot()}`
      : `no kernel cached yet: the first --vm run (or nslab vm prepare) fetches one into ${cacheRoot()}`;
  const firmware = p.platform.firmware ? (zh ? '，qboot 固件' : ', qboot firmware') : '';
  const accel = `qemu ${p.platform.accel.kind.toUpperCase()}${firmware}`;
  return zh
    ? `✓ 虚拟机（--vm）        可用：${accel}（${p.platform.accel.why.zh}）；${kernel}`
    : `✓ VM path (--vm)        available: ${accel} (${p.platform.accel.why.en}); ${kernel}`;
}
