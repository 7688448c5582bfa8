// What `ldd` answers, found by reading the files ourselves: an ELF program names its loader
// (PT_INTERP) and the libraries it needs (DT_NEEDED); the loader looks each name up in
// DT_RPATH, DT_RUNPATH, the ld.so.conf directories (what ld.so.cache is built from) and its
// built-in system directories, keeping only files of the same class and machine.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ElfInfo {
  readonly class64: boolean;
  readonly machine: number;
  readonly interp?: string;
  readonly needed: readonly string[];
  readonly rpath: readonly string[];
  readonly runpath: readonly string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_RPATH = 15;
const DT_RUNPATH = 29;

function readFile(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** Parse the parts of an ELF file the dynamic loader uses; undefined when it is not ELF. */
export function readElf(path: string): ElfInfo | undefined {
  let b: Buffer;
  try {
    b = readFile(path);
  } catch {
    return undefined;
  }
  if (b.length < 52 || b.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const class64 = b[4] === 2;
  const le = b[5] === 1;
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (o: number) => (class64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(o));
  const machine = u16(18);
  const phoff = class64 ? word(32) : u32(28);
  const phentsize = u16(class64 ? 54 : 42);
  const phnum = u16(class64 ? 56 : 44);

  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let dynamic: { offset: number; size: number } | undefined;
  let interp: string | undefined;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (p + phentsize > b.length) break;
    const type = u32(p);
    // Elf64_Phdr: type, flags, offset, vaddr, paddr, filesz; Elf32_Phdr: type, offset, vaddr, paddr, filesz.
    const offset = class64 ? word(p + 8) : u32(p + 4);
    const vaddr = class64 ? word(p + 16) : u32(p + 8);
    const filesz = class64 ? word(p + 32) : u32(p + 16);
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    else if (type === PT_DYNAMIC) dynamic = { offset, size: filesz };
    else if (type === PT_INTERP) interp = b.toString('latin1', offset, offset + filesz).replace(/\0.*$/s, '');
  }
  const needed: string[] = [];
  const rpath: string[] = [];
  const runpath: string[] = [];
  if (dynamic) {
    const entries: [number, number][] = [];
    const size = class64 ? 16 : 8;
    for (let o = dynamic.offset; o + size <= dynamic.offset + dynamic.size && o + size <= b.length; o += size) {
      const tag = class64 ? word(o) : u32(o);
      if (tag === DT_NULL) break;
      entries.push([tag, class64 ? word(o + 8) : u32(o + 4)]);
    }
    const strtabAddr = entries.find(([t]) => t === DT_STRTAB)?.[1];
    const seg = loads.find((l) => strtabAddr !== undefined && strtabAddr >= l.vaddr && strtabAddr < l.vaddr + l.filesz);
    if (strtabAddr !== undefined && seg) {
      const strtab = strtabAddr - seg.vaddr + seg.offset;
      const str = (off: number) => {
        const start = strtab + off;
        const end = b.indexOf(0, start);
        return b.toString('utf8', start, end < 0 ? b.length : end);
      };
      for (const [tag, val] of entries) {
        if (tag === DT_NEEDED) needed.push(str(val));
        else if (tag === DT_RPATH) rpath.push(...str(val).split(':').filter(Boolean));
        else if (tag === DT_RUNPATH) runpath.push(...str(val).split(':').filter(Boolean));
      }
    }
  }
  return { class64, machine, ...(interp !== undefined ? { interp } : {}), needed, rpath, runpath };
}

/** The directories of /etc/ld.so.conf and its includes, in order. */
export function ldSoConfDirs(file = '/etc/ld.so.conf', seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const inc = /^include\s+(.+)$/.exec(line);
    if (inc) {
      for (const pattern of inc[1]!.split(/\s+/)) dirs.push(...expandGlob(pattern).flatMap((f) => ldSoConfDirs(f, seen)));
    } else if (line.startsWith('/')) {
      dirs.push(line);
    }
  }
  return dirs;
}

/** Enough of glob(3) for ld.so.conf's `include /etc/ld.so.conf.d/*.conf`. */
function expandGlob(pattern: string): string[] {
  if (!pattern.includes('*')) return [pattern];
  const dir = dirname(pattern);
  const re = new RegExp(`^${pattern.slice(dir.length + 1).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  try {
    return readdirSync(dir).sort().filter((f) => re.test(f)).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** The loader's built-in system directories for this machine (Debian multiarch layout included). */
export function systemDirs(): string[] {
  const triplet: Record<string, string> = {
    x64: 'x86_64-linux-gnu',
    arm64: 'aarch64-linux-gnu',
    arm: 'arm-linux-gnueabihf',
    ia32: 'i386-linux-gnu',
    ppc64: 'powerpc64le-linux-gnu',
    s390x: 's390x-linux-gnu',
    riscv64: 'riscv64-linux-gnu',
  };
  const t = triplet[process.arch];
  const multiarch = t ? [`/lib/${t}`, `/usr/lib/${t}`] : [];
  const lib64 = process.arch === 'x64' || process.arch === 'arm64' ? ['/lib64', '/usr/lib64'] : [];
  return [...multiarch, ...lib64, '/lib', '/usr/lib'];
}

/** One library the loader would map for a program. */
export interface Resolved {
  readonly name: string;
  /** The path the search found (what ldd prints after =>); undefined: not found. */
  readonly path?: string;
}

/** Resolve every library a program needs, transitively, the way ld.so searches. */
export function resolveLibraries(program: string, confDirs = ldSoConfDirs()): { interp?: string; libs: Resolved[] } {
  const root = readElf(program);
  if (!root) throw new Error(`${program} is not an ELF file`);
  const libs = new Map<string, Resolved>();
  const fits = (path: string) => {
    const e = readElf(path);
    return e !== undefined && e.class64 === root.class64 && e.machine === root.machine;
  };
  const expand = (dir: string, origin: string) => dir.replace(/\$(ORIGIN|\{ORIGIN\})/g, origin);
  const queue: { path: string; info: ElfInfo }[] = [{ path: program, info: root }];
  while (queue.length > 0) {
    const { path, info } = queue.shift()!;
    const origin = dirname(realpathSync(path));
    for (const name of info.needed) {
      if (libs.has(name)) continue;
      let found: string | undefined;
      if (name.includes('/')) {
        found = existsSync(name) ? name : undefined;
      } else {
        // DT_RPATH counts only when there is no DT_RUNPATH (and then the program's own is tried too).
        const rpath = info.runpath.length === 0 ? [...info.rpath, ...(path !== program && root.runpath.length === 0 ? root.rpath : [])] : [];
        const dirs = [...rpath, ...info.runpath, ...confDirs, ...systemDirs()].map((d) => expand(d, origin));
        found = dirs.map((d) => join(d, name)).find((p) => existsSync(p) && fits(p));
      }
      libs.set(name, found === undefined ? { name } : { name, path: found });
      if (found) {
        const sub = readElf(found);
        if (sub) queue.push({ path: found, info: sub });
      }
    }
  }
  return { ...(root.interp !== undefined ? { interp: root.interp } : {}), libs: [...libs.values()] };
}

/** Parse `ldd` output into name -> path (the vDSO has no file and is left out). */
export function parseLdd(output: string): { libs: Resolved[]; interp?: string } {
  const libs: Resolved[] = [];
  let interp: string | undefined;
  for (const line of output.split('\n')) {
    const arrow = /^\s*(\S+)\s+=>\s+(\S+)/.exec(line);
    if (arrow) {
      libs.push(arrow[2] === 'not' ? { name: arrow[1]! } : { name: arrow[1]!, path: arrow[2]! });
      continue;
    }
    const bare = /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (bare) interp = bare[1]!;
  }
  return { libs, ...(interp !== undefined ? { interp } : {}) };
}
