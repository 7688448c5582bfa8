// nslab shell <lab>: an interactive shell inside the lab's container, torn down when it exits.
import { openShell, ShellUnavailable } from '../../core/shell-run.js';
import { exitCodeFor, onInterrupt } from '../interrupt.js';
import { loadImplemented, resolveLabs } from './labs.js';
import { inVm, requireRoot } from './run.js';
import { t, UsageError, type Options, type Out } from './usage.js';

export async function shellCommand(o: Options, out: Out): Promise<number> {
  if (o.positional.length !== 1) throw new UsageError(t('nslab shell takes exactly one lab, e.g. nslab shell 01-uts.', 'nslab shell 只接受一个实验，例如 nslab shell 01-uts。'));
  const [lab] = await loadImplemented(resolveLabs(o.positional));
  requireRoot([lab!], 'shell', o.positional);
  if (!lab!.shell) throw new UsageError(t(`Lab ${lab!.id} builds no container to open a shell in.`, `实验 ${lab!.id} 不构建容器，没有可以进入的 shell。`), 4);
  if (o.vm) return inVm('shell', [lab!], o, out);
  const interrupt = onInterrupt(() => undefined, o.lang); // Ctrl-C belongs to the shell; we clean up after it
  const zh = o.lang === 'zh';
  let code: number;
  try {
    const started = openShell(lab!, { lang: o.lang, signal: interrupt.signal, onLog: (line) => out(`  ${line}`) });
    out(zh ? `nslab：进入 ${lab!.id} 搭建的环境的 shell；输入 exit 即全部拆除。` : `nslab: a shell inside what ${lab!.id} builds; exit to tear it all down.`);
    const r = await started;
    for (const e of r.errors) out(zh ? `无法删除 ${e}` : `could not remove ${e}`);
    out(zh ? `nslab：${lab!.id} 搭建的一切已删除。` : `nslab: everything ${lab!.id} built is removed.`);
    code = r.code;
  } catch (e) {
    if (e instanceof ShellUnavailable) {
      const why = (lang: 'en' | 'zh') => (e.remedy ? `${e.reason[lang]}${lang === 'zh' ? '；' : '; '}${e.remedy[lang]}` : e.reason[lang]);
      throw new UsageError(t(`Lab ${lab!.id} cannot run here: ${why('en')}.`, `实验 ${lab!.id} 在这里无法运行：${why('zh')}。`), 4);
    }
    throw e;
  } finally {
    interrupt.dispose();
  }
  const received = interrupt.received();
  return received && received !== 'SIGINT' ? exitCodeFor(received) : code;
}
