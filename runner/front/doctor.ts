// nslab doctor, in the spirit of lxc-checkconfig: first what the kernel and the machine offer
// (namespaces, cgroups, each lab's own diagnostics, file systems, tools — all gathered from the
// labs' requirements), then, for each lab, whether it can run here and, if not, why and what to do.
import { readFileSync } from 'node:fs';
import { catalogue, loadAllLabs } from '../../labs/index.js';
import { checkRequirements } from '../core/engine.js';
import { mountsOf } from '../core/proc.js';
import { cgroupMode, hostInfo, version } from './host.js';
import { isRoot, namespaces } from '../kit/requirements.js';
import { errorText, t, type Lab, type Lang, type Requirement, type RequirementResult, type Text } from '../core/model.js';

interface Section {
  readonly title: Text;
  readonly items: readonly Requirement[];
}

const WORDS = {
  namespaces: t('Namespaces', 'namespace'),
  fileSystems: t('File systems', '文件系统'),
  tools: t('Tools', '工具'),
  kernel: t('Kernel features and switches', '内核功能与开关'),
  nslab: t('nslab', 'nslab'),
  labs: t('Labs', '实验'),
  ready: t('ready', '就绪'),
  notYet: t('not yet available in this version', '这个版本尚未提供'),
  noControllers: t('no controllers', '没有控制器'),
} as const;

function cgroupLine(lang: Lang): string {
  const mode = cgroupMode();
  const v2Roots = mountsOf()
    .filter((m) => m.fstype === 'cgroup2')
    .map((m) => m.target);
  const v2 = v2Roots.map((root) => {
    let controllers = '';
    try {
      controllers = readFileSync(`${root}/cgroup.controllers`, 'utf8').trim();
    } catch {
      controllers = '?';
    }
    const list = controllers || WORDS.noControllers[lang];
    return lang === 'zh' ? `cgroup2 挂载于 ${root}：${list}` : `cgroup2 at ${root}: ${list}`;
  });
  if (lang === 'zh') return `cgroup：${mode}${v2.length > 0 ? `（${v2.join('；')}）` : ''}`;
  return `cgroup: ${mode}${v2.length > 0 ? ` (${v2.join('; ')})` : ''}`;
}

/** What a probe found; a probe that throws is a requirement not met, with the error as its reason. */
async function probe(r: Requirement): Promise<RequirementResult> {
  try {
    return await r.probe();
  } catch (e) {
    return { ok: false, reason: t(`${r.description.en}: ${errorText(e, 'en')}`, `${r.description.zh}：${errorText(e, 'zh')}`) };
  }
}

/** "reason — remedy" in one language. */
function why(reason: Text, remedy: Text | undefined, lang: Lang): string {
  return `${reason[lang]}${remedy ? ` — ${remedy[lang]}` : ''}`;
}

/**
 * What doctor checks, gathered from the labs themselves: every requirement of every lab (once,
 * by id) sorted into file systems, tools and nslab's own, plus each lab's diagnostics.
 */
export function sectionsFor(labs: readonly Lab[]): Section[] {
  const seen = new Map<string, Requirement>();
  for (const lab of labs) for (const r of lab.requirements) if (!seen.has(r.id)) seen.set(r.id, r);
  const all = [...seen.values()];
  const kind = (r: Requirement) => r.id.split(':')[0]!;
  const byId = (a: Requirement, b: Requirement) => a.id.localeCompare(b.id);
  return [
    { title: WORDS.namespaces, items: (['uts', 'ipc', 'pid', 'mnt', 'net', 'user', 'cgroup'] as const).map((ns) => namespaces(ns)) },
    ...labs
      .filter((l) => (l.diagnostics ?? []).length > 0)
      .map((l) => ({ title: t(`${l.title.en} (lab ${l.id})`, `${l.title.zh}（实验 ${l.id}）`), items: l.diagnostics! })),
    { title: WORDS.fileSystems, items: all.filter((r) => kind(r) === 'fs').sort(byId) },
    { title: WORDS.tools, items: all.filter((r) => kind(r) === 'tool').sort(byId) },
    { title: WORDS.kernel, items: all.filter((r) => !['fs', 'tool', 'ns', 'root', 'addon'].includes(kind(r))).sort(byId) },
    { title: WORDS.nslab, items: all.filter((r) => ['root', 'addon'].includes(kind(r))) },
  ].filter((sec) => sec.items.length > 0);
}

export async function doctor(out: (line: string) => void, lang: Lang = 'en'): Promise<void> {
  const host = hostInfo();
  const who = isRoot() ? 'root' : `uid ${process.geteuid?.()}`;
  out(
    lang === 'zh'
      ? `nslab ${version()}，运行于 Linux ${host.kernel}（${process.arch}），身份：${who}`
      : `nslab ${version()} on Linux ${host.kernel} (${process.arch}), running as ${who}`,
  );
  out(cgroupLine(lang));
  const labs = await loadAllLabs();
  for (const section of sectionsFor(labs)) {
    out('');
    out(`--- ${section.title[lang]} ---`);
    for (const item of section.items) {
      const r = await probe(item);
      out(r.ok ? `✓ ${item.description[lang]}` : `✗ ${why(r.reason ?? item.description, r.remedy, lang)}`);
    }
  }
  out('');
  out(`--- ${WORDS.labs[lang]} ---`);
  for (const entry of catalogue) {
    const l = labs.find((x) => x.id === entry.id);
    if (!l) {
      out(`- ${entry.id.padEnd(20)} ${WORDS.notYet[lang]}`);
      continue;
    }
    const r = await checkRequirements(l);
    out(r.ok ? `✓ ${l.id.padEnd(20)} ${WORDS.ready[lang]}` : `✗ ${l.id.padEnd(20)} ${why(r.reason, r.remedy, lang)}`);
  }
  out('');
  out((await import('./vm/index.js')).vmDoctorLine(lang));
}
