// The nslab command line: list, run, verify, doctor, shell, clean (and the guided tour).
// Cold start matters (`nslab list` and `--version` should cost little more than node itself):
// this module loads only the catalogue and small helpers; each command loads what it needs
// (the engine, the reporters, a lab's code, React and Ink) when it runs.
import { parseArgs as parseArgv } from 'node:util';
import type { Lang, Text } from '../core/model.js';
import { version } from './commands/version.js';
import { describeFailure, exitCodeForFailure, guardOutput, isBroken, outputFailure, writeOut } from './interrupt.js';
import { isReporterName, REPORTERS } from './report/names.js';
import { defaultLang, echo, langOf, messageOf, t, UsageError, type Options, type Out } from './commands/usage.js';

export { echo, ECHO_MAX, UsageError, type Options } from './commands/usage.js';

/** Help for each command, in both languages (built when asked for: its first line reads the version). */
const HELP = (): Record<string, Text> => ({
  main: t(
    `nslab ${version()} — replay the kernel experiments under Docker on your own kernel

Usage:
  nslab                      guided walkthrough (the same as nslab tour)
  nslab list                 the labs and whether they are available
  nslab run <lab...>|--all   run labs with explanations, commands and checks
  nslab verify [<lab...>|--all] [--reporter human|json|tap|junit]
                             CI mode: checks only; exit 1 if any check failed
  nslab doctor               can each lab run here, and if not, why
  nslab shell <lab>          a shell inside what the lab builds (torn down on exit)
  nslab try [<lab> [<exercise>]] [--list|--solution|--script F|--report json|junit]
                             do it yourself in a playground; nslab checks the kernel
  nslab capstone init|check [N]|hint N|solution N|image
                             build your own docker run, level by level (lab 13)
  nslab clean                remove what an interrupted or crashed run left behind
  nslab vm prepare           fetch and cache the kernel that --vm boots (progress bar)

Options:
  --lang en|zh               language of explanations (default from LANG)
  --vm                       run, verify, shell or try inside a disposable VM on a stock kernel
  -h, --help                 help for a command (nslab run --help)
  -V, --version              print the version

Labs are named by id (01-uts), number (1) or name (uts). Most need root: sudo npx nslab run 01-uts`,
    `nslab ${version()} —— 在你自己的内核上重做 Docker 背后的内核实验

用法：
  nslab                      引导式教程（等同于 nslab tour）
  nslab list                 列出所有实验，以及是否可用
  nslab run <lab...>|--all   运行实验：讲解、命令和检查
  nslab verify [<lab...>|--all] [--reporter human|json|tap|junit]
                             CI 模式：只做检查；有检查失败时退出码为 1
  nslab doctor               每个实验能否在这台机器上运行；不能的话，原因是什么
  nslab shell <lab>          进入实验搭建的环境的 shell（退出时全部拆除）
  nslab try [<lab> [<exercise>]] [--list|--solution|--script F|--report json|junit]
                             在练习场里亲手做；nslab 检查内核的状态
  nslab capstone init|check [N]|hint N|solution N|image
                             一级一级地写出你自己的 docker run（实验 13）
  nslab clean                删除被中断或崩溃的运行留下的东西
  nslab vm prepare           下载并缓存 --vm 启动的内核（带进度条）

选项：
  --lang en|zh               讲解的语言（默认取自 LANG）
  --vm                       在一次性虚拟机里用发行版内核运行 run、verify、shell 或 try
  -h, --help                 某个命令的帮助（nslab run --help）
  -V, --version              打印版本号

实验可以用 id（01-uts）、编号（1）或名字（uts）指定。多数实验需要 root：sudo npx nslab run 01-uts`,
  ),
  list: t(
    'nslab list — show every lab of the catalogue, in order, and whether this version has it.',
    'nslab list —— 按顺序列出目录中的每个实验，以及这个版本是否已提供。',
  ),
  run: t(
    `nslab run <lab...>|--all [--lang en|zh]
Runs each lab step by step: the six questions the lab answers, what each step shows (in English
or Chinese), the article's command beside today's equivalent, the commands run and their real
output, and the checks (observed vs expected). --all runs every available lab in order.
Exit status: 0 all checks passed, 1 a check failed, 4 a lab was skipped.`,
    `nslab run <lab...>|--all [--lang en|zh]
逐步运行每个实验：先是实验回答的六个问题，然后是每一步要说明什么（中文或英文）、原文的命令
与今天的等价命令、实际运行的命令及其真实输出，以及检查（观察到的与预期的）。--all 按顺序
运行所有可用的实验。退出码：0 表示所有检查通过，1 表示有检查失败，4 表示有实验被跳过。`,
  ),
  verify: t(
    `nslab verify [<lab...>|--all] [--reporter human|json|tap|junit]
Runs the labs without prose and reports every check. Skipped labs are listed with the reason.
Exit status: 0 no check failed, 1 a check failed, 2 bad usage.`,
    `nslab verify [<lab...>|--all] [--reporter human|json|tap|junit]
不带讲解地运行实验，并报告每一项检查。被跳过的实验会列出原因。
退出码：0 表示没有检查失败，1 表示有检查失败，2 表示用法错误。`,
  ),
  doctor: t(
    'nslab doctor — for every lab, whether it can run on this machine, and if not, why and what to do.',
    'nslab doctor —— 对每个实验说明它能否在这台机器上运行；不能的话，原因是什么、该怎么做。',
  ),
  shell: t(
    `nslab shell <lab>
Builds the lab's container and starts an interactive shell inside it, the way the article
always ends in /bin/bash. Everything is removed when the shell exits.`,
    `nslab shell <lab>
构建实验的容器，并在其中启动一个交互式 shell，就像原文总是以 /bin/bash 结束一样。
shell 退出时，一切都会被删除。`,
  ),
  try: t(
    `nslab try [<lab> [<exercise>]] [--lang en|zh] [--vm]
Shows an exercise's task and opens a root shell in a playground: its own mount (with a fresh
/proc), UTS (hostname playground), IPC, network and PID namespaces, and cgroups of nslab's own as
each hierarchy's root. Do the task there, by hand, with any tool; then type check: nslab reads the
kernel's state (/proc/PID/ns, status, maps, mountinfo, links, cgroup files) and prints ✓/✗ per
condition with what it saw and, on a miss, a hint. hint shows the next hint, answer <text> records
an answer (predict and explain tasks), exit leaves; everything in the playground is removed.
Without an exercise, the lab's first one not done yet.
  --list               every exercise and what is done on this machine
  --solution           print the exercise's reference solution
  --script FILE|-      run these commands in the playground instead of a shell, then check
  --report json|junit  this machine's exercise results, for a teacher
Exit status: 0 the exercise is done, 1 not yet, 4 it cannot run here.`,
    `nslab try [<实验> [<练习>]] [--lang en|zh] [--vm]
显示练习的任务，并在练习场里打开一个 root shell：它有自己的 mount（带新的 /proc）、UTS（主机名
playground）、IPC、network 和 PID namespace，各个层级的 cgroup 根都是 nslab 自己的组。在那里
用任何工具亲手完成任务，然后输入 check：nslab 读取内核的状态（/proc/PID/ns、status、映射、
mountinfo、网络接口、cgroup 文件），逐条打印 ✓/✗、它看到了什么，没做到时给出提示。hint 显示
下一条提示，answer <内容> 记下回答（预测和解释类任务），exit 离开；练习场里的一切都会被删除。
不指定练习时，打开这个实验里第一个还没完成的练习。
  --list               所有练习，以及在这台机器上完成了哪些
  --solution           打印练习的参考答案
  --script 文件|-       在练习场里运行这些命令（代替 shell），然后 check
  --report json|junit  这台机器上的练习结果，给老师看
退出码：0 表示练习已完成，1 表示还没有，4 表示在这里无法运行。`,
  ),
  vm: t(
    `nslab vm prepare
Builds the cache the --vm option boots from (/var/cache/nslab/vm): this host's /boot kernel
when its modules have what the labs need, otherwise the kernel package linux-image-amd64
depends on, fetched with apt-get download and unpacked there (never installed). With --vm,
run, verify and shell boot that kernel under qemu (KVM when usable, else TCG emulation), share
the host's root read-only, give the VM no network device, run the same nslab inside and exit
with its verdict; a VM that panics, hangs (NSLAB_VM_TIMEOUT seconds, default 900) or leaves no
result is an error.`,
    `nslab vm prepare
构建 --vm 选项启动时使用的缓存（/var/cache/nslab/vm）：如果宿主机 /boot 下内核的模块具备
实验所需的一切，就用它；否则用 linux-image-amd64 所依赖的内核包，通过 apt-get download
下载并解包到那里（从不安装）。使用 --vm 时，run、verify 和 shell 会在 qemu 下启动这个内核
（能用 KVM 时用 KVM，否则用 TCG 模拟），以只读方式共享宿主机的根目录，不给虚拟机任何网络
设备，在里面运行同一个 nslab，并以它的结论退出；虚拟机内核崩溃、卡住（NSLAB_VM_TIMEOUT
秒，默认 900）或没有留下结果，都算错误。`,
  ),
  clean: t(
    `nslab clean — remove what interrupted or crashed runs left behind: processes, mounts, cgroups,
network namespaces, loop and dm devices, queues and directories. Only objects that prove they are a dead
run's are removed (journal entries are checked, names must carry the run's token); live runs are left
alone, and objects of a dead run that lost its journal are found by their names.`,
    `nslab clean —— 删除被中断或崩溃的运行留下的东西：进程、挂载、cgroup、network namespace、
loop 与 dm 设备、消息队列和目录。只删除能证明属于一次已结束运行的对象（日志条目会被核对，名字
必须带有那次运行的令牌）；正在进行的运行不受影响，丢失了日志的已结束运行，其对象按名字找到。`,
  ),
  tour: t(
    `nslab tour [lab] [--lang en|zh] [--reset]
The guided walkthrough: the labs with their state on this machine, then one lab a step at a
time (Enter runs a step, a runs the rest, r re-runs, s opens a shell, l switches language,
? lists the keys, q goes back, Ctrl-C cleans up and quits). Progress is remembered in
$XDG_STATE_HOME/nslab/progress.json (~/.local/state/nslab); --reset forgets it.
When stdout is not a terminal it prints what nslab run would (all available labs by default).`,
    `nslab tour [lab] [--lang en|zh] [--reset]
引导式教程：先列出各个实验在这台机器上的状态，然后一次打开一个实验、一步一步运行（Enter
运行一步，a 运行剩余的步骤，r 重跑，s 打开 shell，l 切换语言，按 ? 键列出所有按键，q 返回，Ctrl-C
清理并退出）。进度保存在 $XDG_STATE_HOME/nslab/progress.json（~/.local/state/nslab）；
--reset 会清除它。stdout 不是终端时，输出与 nslab run 相同（默认运行所有可用的实验）。`,
  ),
});

function helpFor(topic: string | undefined, lang: Lang): string {
  const help = HELP();
  return (help[topic ?? 'main'] ?? help.main!)[lang];
}

/** The options nslab knows; anything else on the command line is a usage error. */
const OPTIONS = {
  lang: { type: 'string' },
  reporter: { type: 'string' },
  all: { type: 'boolean' },
  reset: { type: 'boolean' },
  vm: { type: 'boolean' },
  list: { type: 'boolean' },
  solution: { type: 'boolean' },
  script: { type: 'string' },
  report: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

// In parseArgs the loop variable is named t (a token): the Text helper is `tr` there.
const tr = t;
const needsValue = (name: string): Text => tr(`${name} needs a value.`, `${name} 需要一个值。`);

/**
 * The command line as Options. Node's util.parseArgs splits it into tokens (in order, so the
 * first mistake is the one reported); nslab's own checks turn a bad token into one sentence.
 */
export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { lang: defaultLang(), reporter: 'human', all: false, help: false, version: false, reset: false, vm: false, positional: [] };
  const { tokens } = parseArgv({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind === 'positional') {
      o.positional.push(t.value);
      continue;
    }
    if (t.kind !== 'option') continue; // "--": what follows is positional (POSIX)
    switch (t.name) {
      case 'lang': {
        if (t.value === undefined) throw new UsageError(needsValue(t.rawName));
        if (t.value !== 'en' && t.value !== 'zh') throw new UsageError(tr(`--lang takes en or zh, not ${echo(t.value)}.`, `--lang 只接受 en 或 zh，不接受 ${echo(t.value)}。`));
        o.lang = t.value;
        break;
      }
      case 'reporter': {
        if (t.value === undefined) throw new UsageError(needsValue(t.rawName));
        if (!isReporterName(t.value))
          throw new UsageError(tr(`Unknown reporter ${echo(t.value)}: use one of ${REPORTERS.join(', ')}.`, `未知的报告格式 ${echo(t.value)}：请用 ${REPORTERS.join('、')} 之一。`));
        o.reporter = t.value;
        break;
      }
      case 'script':
      case 'report': {
        if (t.value === undefined) throw new UsageError(needsValue(t.rawName));
        o[t.name] = t.value;
        break;
      }
      case 'list':
      case 'solution':
      case 'all':
      case 'reset':
      case 'vm':
      case 'help':
      case 'version':
        o[t.name] = true;
        break;
      default: // a short option in a group (-hx) is named by the whole group, as typed
      {
        const opt = echo(t.rawName.startsWith('--') ? t.rawName : argv[t.index]!);
        throw new UsageError(tr(`Unknown option ${opt}: see nslab --help.`, `未知的选项 ${opt}：见 nslab --help。`));
      }
    }
  }
  return o;
}

/** Columns of a string in a terminal: CJK characters and full-width punctuation take two (core/width.ts, kept off this cold path). */
function columns(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return w;
}

/** `nslab list`: the catalogue only, no lab's code. */
async function listCommand(o: Options, out: Out): Promise<number> {
  const { catalogue, isPlanned } = await import('../../labs/index.js');
  const state = { planned: t('not yet available', '尚未提供'), available: t('available', '可用') };
  const titleW = Math.max(52, ...catalogue.map((l) => columns(l.title[o.lang])));
  for (const l of catalogue) {
    const title = l.title[o.lang];
    out(`${l.id.padEnd(20)} ${title}${' '.repeat(titleW - columns(title))} ${(isPlanned(l) ? state.planned : state.available)[o.lang]}`);
  }
  return 0;
}

/**
 * The whole command line. Output goes through `out` (stdout by default); a write error on stdout
 * or stderr (EPIPE, ENOSPC, …) stops a running lab like Ctrl-C does, the engine unwinds it, and
 * main returns 141 for a closed pipe or 1 for another write error, with nothing more written to
 * the broken stream (see interrupt.ts).
 */
export async function main(argv: readonly string[], out: Out = (s) => writeOut('stdout', `${s}\n`)): Promise<number> {
  guardOutput();
  const code = await command(argv, out);
  const broken = outputFailure();
  if (!broken) return code;
  const line = describeFailure(broken, langOf(argv));
  if (line !== undefined && !isBroken('stderr')) writeOut('stderr', `${line}\n`);
  return exitCodeForFailure(broken);
}

async function command(argv: readonly string[], out: Out): Promise<number> {
  let lang = langOf(argv);
  try {
    const o = parseArgs(argv);
    lang = o.lang;
    const command = o.positional.shift() ?? 'tour';
    if (o.version) {
      out(version());
      return 0;
    }
    if (o.help) {
      out(helpFor(command, o.lang));
      return 0;
    }
    switch (command) {
      case 'help':
        out(helpFor(o.positional[0], o.lang));
        return 0;
      case 'list':
        return await listCommand(o, out);
      case 'run':
        return await (await import('./commands/run.js')).runCommand(o, out);
      case 'verify':
        return await (await import('./commands/run.js')).verifyCommand(o, out);
      case 'vm':
        return await (await import('./commands/run.js')).vmCommand(o, out);
      case 'doctor':
        await (await import('./doctor.js')).doctor(out, o.lang);
        return 0;
      case 'clean':
        return (await import('./commands/clean.js')).cleanCommand(out, o.lang);
      case 'shell':
        return await (await import('./commands/shell.js')).shellCommand(o, out);
      case 'try':
        return await (await import('./commands/try.js')).tryCommand(o, out);
      case 'capstone':
        return await (await import('./commands/capstone.js')).capstoneCommand(o, out);
      case 'tour':
        return await (await import('./commands/tour.js')).tourCommand(o, out);
      default: {
        const { findLab } = await import('../../labs/index.js');
        const lab = findLab(command);
        const cmd = echo(command);
        if (lab) throw new UsageError(t(`Unknown command ${cmd}; to run that lab: nslab run ${lab.id}.`, `未知的命令 ${cmd}；要运行这个实验：nslab run ${lab.id}。`));
        throw new UsageError(
          t(`Unknown command ${cmd}: use list, run, verify, doctor, shell, try or clean (nslab --help).`, `未知的命令 ${cmd}：请用 list、run、verify、doctor、shell、try 或 clean（见 nslab --help）。`),
        );
      }
    }
  } catch (e) {
    writeOut('stderr', `nslab${lang === 'zh' ? '：' : ': '}${messageOf(e, lang)}\n`);
    return e instanceof UsageError ? e.exitCode : 1;
  }
}
