// Shared test helpers: run the real CLI, and snapshot what a lab could leave on the host.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../runner/core/model.js';
import { listDir, tryRead as readText } from '../runner/core/proc.js';

export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();

export const cli = join(repoRoot, 'bin', 'nslab.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `nslab ...` as a separate process, as a user would. */
export function nslab(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; uid?: number; gid?: number; /** a command to run nslab under, e.g. ['unshare', '-r'] */ wrap?: readonly string[] } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [file, ...pre] = [...(opts.wrap ?? []), process.execPath];
    const child = spawn(file!, [...pre, cli, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** `nslab verify <labs> --reporter json`, parsed. */
export async function verifyJson(labs: readonly string[]): Promise<{ result: CliResult; report: Report }> {
  const result = await nslab(['verify', ...labs, '--reporter', 'json']);
  let report: Report;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    throw new Error(`verify printed no JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
  return { result, report };
}

/** Every check of a report that did not pass, as readable lines (empty when all passed). */
export function notPassed(report: Report): string[] {
  const out: string[] = [];
  for (const lab of report.labs) {
    if (lab.status === 'skipped') out.push(`${lab.id} skipped: ${lab.reason}`);
    for (const step of lab.steps)
      for (const c of step.checks)
        if (c.status !== 'passed') out.push(`${lab.id}/${step.id}/${c.id} ${c.status}: observed ${c.observed}; expected ${c.expected}${c.reason ? ` (${c.reason})` : ''}${step.error ? ` [${step.error}]` : ''}`);
  }
  return out;
}

const tryRead = (path: string): string => readText(path) ?? '';
const tryList = (dir: string): string[] => listDir(dir).sort();

function findNamed(dir: string, pattern: RegExp, depth: number): string[] {
  if (depth < 0) return [];
  const out: string[] = [];
  for (const name of tryList(dir)) {
    const p = join(dir, name);
    let isDir = false;
    try {
      isDir = readdirSync(p) !== undefined;
    } catch {
      isDir = false;
    }
    if (pattern.test(name)) out.push(p);
    if (isDir) out.push(...findNamed(p, pattern, depth - 1));
  }
  return out;
}

/** Processes whose command line mentions nslab's programs, other than this test run's own. */
function nslabProcesses(): string[] {
  const out: string[] = [];
  for (const pid of tryList('/proc').filter((p) => /^\d+$/.test(p))) {
    const cmd = tryRead(`/proc/${pid}/cmdline`).replace(/\0/g, ' ').trim();
    if (/nslab-probe|nslab-workload/.test(cmd)) out.push(`${pid} ${cmd}`);
  }
  return out;
}

export interface HostSnapshot {
  hostname: string;
  mountinfo: string;
  links: string[];
  netns: string[];
  etcNetns: string[];
  cgroups: string[];
  loops: string[];
  dm: string[];
  sysvipc: Record<string, string>;
  processes: string[];
  /** Run directories under /run/nslab (a token each): none may be left once a run is over. */
  runs: string[];
  /** /run/netns and /etc/netns: there or not, and whether /run/netns is a mount point (ip netns makes it one). */
  netnsDirs: string;
  /** cgroup.subtree_control of every cgroup2 root: a lab may enable a controller there only for a while. */
  subtreeControl: Record<string, string>;
}

function cgroup2Roots(): string[] {
  return tryRead('/proc/self/mountinfo')
    .split('\n')
    .filter((l) => / - cgroup2 /.test(l))
    .map((l) => l.split(' ')[4]!);
}

/** What a lab must leave exactly as it found it. */
export function hostSnapshot(): HostSnapshot {
  let links: string[] = [];
  try {
    links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(':')[1]?.trim() ?? '')
      .filter(Boolean)
      .sort();
  } catch {
    links = tryList('/sys/class/net');
  }
  const ipc: Record<string, string> = {};
  for (const kind of ['msg', 'sem', 'shm'])
    ipc[kind] = tryRead(`/proc/sysvipc/${kind}`)
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))
      .filter(Boolean)
      .sort()
      .join('\n');
  return {
    hostname: hostname(),
    mountinfo: tryRead('/proc/self/mountinfo'),
    links,
    netns: tryList('/run/netns'),
    etcNetns: tryList('/etc/netns'),
    cgroups: findNamed('/sys/fs/cgroup', /nslab/, 3),
    loops: tryList('/sys/block')
      .filter((d) => d.startsWith('loop'))
      .map((d) => `${d} ${tryRead(`/sys/block/${d}/loop/backing_file`).trim()}`)
      .filter((l) => !l.endsWith(' ')),
    dm: tryList('/sys/block')
      .filter((d) => d.startsWith('dm-'))
      .map((d) => tryRead(`/sys/block/${d}/dm/name`).trim()),
    sysvipc: ipc,
    processes: nslabProcesses(),
    runs: tryList(process.env.NSLAB_RUN_DIR ?? '/run/nslab').filter((d) => /^([0-9a-f]{4}|\.new-.*)$/.test(d)),
    netnsDirs: `/run/netns ${existsSync('/run/netns') ? 'present' : 'absent'}${tryRead('/proc/self/mountinfo').split('\n').some((l) => l.split(' ')[4] === '/run/netns') ? ' mounted' : ''}; /etc/netns ${existsSync('/etc/netns') ? 'present' : 'absent'}`,
    subtreeControl: Object.fromEntries(cgroup2Roots().map((r) => [r, tryRead(`${r}/cgroup.subtree_control`).trim()])),
  };
}

/** Wait until `pred` holds (polling), or fail with `what`. */
export async function eventually(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Start `nslab run <lab>`, send `signal` once `marker` appears on stdout, collect the end. */
export function interruptRun(lab: string, marker: RegExp, signal: NodeJS.Signals = 'SIGINT'): Promise<CliResult & { sent: boolean }> {
  return signalWhen(['run', lab], marker, signal);
}

/**
 * Start `nslab <args>`, send `signal` `delayMs` after `marker` appears on stdout, and collect the
 * end: when its pipes close, or (until: 'exit') when it exits — after a SIGKILL, what it left (a
 * frozen task) may hold the pipes open until the next nslab removes it.
 */
export function signalWhen(
  args: readonly string[],
  marker: RegExp,
  signal: NodeJS.Signals,
  opts: { env?: NodeJS.ProcessEnv; delayMs?: number; until?: 'close' | 'exit' } = {},
): Promise<CliResult & { sent: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (!sent && marker.test(stdout)) {
        sent = true;
        setTimeout(() => child.kill(signal), opts.delayMs ?? 0);
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    if (opts.until === 'exit') child.on('exit', (code, sig) => setTimeout(() => resolve({ code, signal: sig, stdout, stderr, sent }), 100));
    else child.on('close', (code, sig) => resolve({ code, signal: sig, stdout, stderr, sent }));
  });
}

/** Point NSLAB_RUN_DIR at a fresh temporary directory for each test of the calling suite. */
export function useTempRunDir(): { readonly base: () => string } {
  let dir = '';
  const saved = process.env.NSLAB_RUN_DIR;
  beforeEach(function () {
    dir = mkdtempSync('/tmp/nslab-unit-');
    process.env.NSLAB_RUN_DIR = join(dir, 'run');
  });
  afterEach(function () {
    if (saved === undefined) delete process.env.NSLAB_RUN_DIR;
    else process.env.NSLAB_RUN_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return { base: () => dir };
}

export interface LabRun {
  readonly result: CliResult;
  readonly report: Report;
  readonly before: HostSnapshot;
  readonly after: HostSnapshot;
}

const labRuns = new Map<string, Promise<LabRun>>();

/**
 * `nslab verify <lab> --reporter json` for real, with host snapshots around it — run once per
 * test process: test/integration/labs.test.ts runs every lab of the registry, and a lab's own
 * test file reads the same run here instead of running the lab again.
 */
export function labRun(lab: string): Promise<LabRun> {
  let run = labRuns.get(lab);
  if (!run) {
    run = (async () => {
      const before = hostSnapshot();
      const { result, report } = await verifyJson([lab]);
      return { result, report, before, after: hostSnapshot() };
    })();
    labRuns.set(lab, run);
  }
  return run;
}

/** The JSON report of a lab's one run (see labRun). */
export async function labReport(lab: string): Promise<Report> {
  return (await labRun(lab)).report;
}

/**
 * Require every check of a lab's run to pass and the host to be as before.
 * Returns the checks by id for the test's own assertions on the observations.
 */
export async function expectLabPasses(lab: string): Promise<{ report: Report; check: (id: string) => Report['labs'][number]['steps'][number]['checks'][number] }> {
  const { expect } = await import('chai');
  const { result, report, before, after } = await labRun(lab);
  expect(notPassed(report), result.stderr).to.deep.equal([]);
  expect(result.code).to.equal(0);
  expect(after).to.deep.equal(before);
  const checks = report.labs[0]!.steps.flatMap((s) => s.checks);
  return {
    report,
    check: (id) => {
      const c = checks.find((x) => x.id === id);
      if (!c) throw new Error(`lab ${lab} has no check ${id} (it has ${checks.map((x) => x.id).join(', ')})`);
      return c;
    },
  };
}

/** Interrupt `nslab run <lab>` with SIGINT once `marker` shows, and require a clean stop. */
export async function expectCleanInterrupt(lab: string, marker: RegExp): Promise<CliResult> {
  const { expect } = await import('chai');
  const before = hostSnapshot();
  const r = await interruptRun(lab, marker);
  expect(r.sent, `the marker ${marker} never appeared`).to.equal(true);
  expect(r.code, 'the lab finished before the signal, or did not stop with 130').to.equal(130);
  expect(r.stdout).to.match(/interrupted/);
  expect(hostSnapshot()).to.deep.equal(before);
  return r;
}

/** The Debian packages scripts/provision.sh installs (its PACKAGES array), comments stripped. */
export function provisionPackages(): string[] {
  const text = readFileSync(join(repoRoot, 'scripts', 'provision.sh'), 'utf8');
  const body = /^PACKAGES=\(\n([\s\S]*?)^\)/m.exec(text)?.[1];
  if (body === undefined) throw new Error('scripts/provision.sh has no PACKAGES=( … ) array');
  return body
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .flatMap((l) => l.split(/\s+/));
}
