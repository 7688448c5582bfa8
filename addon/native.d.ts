// The raw binding exactly as addon/src/binding.cc exports it. Only addon/index.ts uses it.

export interface RawAction {
  op: number;
  a?: string;
  b?: string;
  c?: string;
  d?: string;
  n?: number;
  m?: number;
}

export interface RawSpawnSpec {
  flags: number;
  file: string;
  argv: string[];
  env: string[];
  /** Per fd 0..2: -1 pipe, -2 inherit, -3 /dev/null, >= 0 that fd. */
  stdio: [number, number, number];
  actions: RawAction[];
  sync: boolean;
  pdeathsig?: number;
}

export interface RawSpawnResult {
  pid: number;
  pidfd: number;
  stdin: number;
  stdout: number;
  stderr: number;
  errFd: number;
  syncFd: number;
}

export interface RawConstants {
  [name: string]: number | Record<string, number>;
  ops: Record<string, number>;
  stepExec: number;
  stepStdio: number;
  stepSignals: number;
}

export interface RawBinding {
  spawn(spec: RawSpawnSpec): RawSpawnResult;
  watchExit(pid: number, pidfd: number, cb: (code: number | null, signal: number | null) => void): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount(target: string, flags: number): void;
  msgget(key: number, create: boolean): number;
  msgRemove(msqid: number): void;
  reclaimTerminal(fd: number): boolean;
  getxattr(path: string, name: string): Buffer | null;
  setxattr(path: string, name: string, value: Buffer): void;
  flock(fd: number, exclusive: boolean, wait: boolean): boolean;
  renameNoReplace(from: string, to: string): void;
  resolveBeneath(root: string, rel: string): void;
  constants: RawConstants;
}
