// nslab doctor, in the spirit of lxc-checkconfig: first what the kernel and the machine offer
// (namespaces, cgroups, each lab's own diagnostics, file systems, tools — all gathered from the
// labs' requirements), then, for each lab, whether it can run here and, if not, why and what to do.
import { readFileSync } from 'node:fs';
import { catalogue, loadAllLabs } from '../../labs/index.js';
import { checkRequirements } from '../core/engine.js';
import { mountsOf } from '../core/proc.js';
import { cgroupMode, hostInfo, version } from './host.js';
import { isRoot, namespaces } from '../kit/requirements.js';
import type { Lab, Requirement } from '../core/model.js';

interface Section {
  readonly title: string;
  readonly items: readonly Requirement[];
}

function cgroupLine(): string {
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
    return `cgroup2 at ${root}: ${controllers || 'no controllers'}`;
  });
  return `cgroup: ${mode}${v2.length > 0 ? ` (${v2.join('; ')})` : ''}`;
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
    { title: 'Namespaces', items: (['uts', 'ipc', 'pid', 'mnt', 'net', 'user', 'cgroup'] as const).map((ns) => namespaces(ns)) },
    ...labs.filter((l) => (l.diagnostics ?? []).length > 0).map((l) => ({ title: `${l.title.en} (lab ${l.id})`, items: l.diagnostics! })),
    { title: 'File systems', items: all.filter((r) => kind(r) === 'fs').sort(byId) },
    { title: 'Tools', items: all.filter((r) => kind(r) === 'tool').sort(byId) },
    { title: 'Kernel features and switches', items: all.filter((r) => !['fs', 'tool', 'ns', 'root', 'addon'].includes(kind(r))).sort(byId) },
    { title: 'nslab', items: all.filter((r) => ['root', 'addon'].includes(kind(r))) },
  ].filter((sec) => sec.items.length > 0);
}

export async function doctor(out: (line: string) => void): Promise<void> {
  const host = hostInfo();
  out(`nslab ${version()} on Linux ${host.kernel} (${process.arch}), running as ${isRoot() ? 'root' : `uid ${process.geteuid?.()}`}`);
  out(cgroupLine());
  const labs = await loadAllLabs();
  for (const section of sectionsFor(labs)) {
    out('');
    out(`--- ${section.title} ---`);
    for (const item of section.items) {
      const r = await item.probe();
      out(r.ok ? `✓ ${item.description}` : `✗ ${r.reason ?? item.description}${r.remedy ? ` — ${r.remedy}` : ''}`);
    }
  }
  out('');
  out('--- Labs ---');
  for (const entry of catalogue) {
    const l = labs.find((x) => x.id === entry.id);
    if (!l) {
      out(`- ${entry.id.padEnd(20)} not yet available in this version`);
      continue;
    }
    const r = await checkRequirements(l);
    out(r.ok ? `✓ ${l.id.padEnd(20)} ready` : `✗ ${l.id.padEnd(20)} ${r.reason}${r.remedy ? ` — ${r.remedy}` : ''}`);
  }
  out('');
  out((await import('./vm/index.js')).vmDoctorLine());
}
