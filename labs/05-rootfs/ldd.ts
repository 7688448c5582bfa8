// Reading `ldd`'s answer: the article runs `ldd bash` to learn which files a program needs and
// copies exactly those. ldd asks the dynamic loader itself (ld.so --list), so it follows the
// real search (RPATH/RUNPATH, ld.so.cache, the system directories) and lists the libraries the
// libraries need too. A pure function of the text, unit-tested in test/unit/ldd.test.ts.

/** One line `soname => path`: the file the loader found for a library (none: "not found"). */
export interface Library {
  readonly name: string;
  readonly path?: string;
}

/** What ldd printed for one program. */
export interface LddAnswer {
  readonly file: string;
  /** The dynamic loader: the program's PT_INTERP, the path the kernel opens inside the image. */
  readonly loader?: string;
  /** The libraries in load order (the vDSO, which the kernel provides and has no file, is left out). */
  readonly libs: readonly Library[];
  /** ldd said so: "statically linked" (a static-pie) or "not a dynamic executable". */
  readonly isStatic: boolean;
}

/** Parse one program's lines (tab-indented, as ldd prints them). */
function answer(file: string, lines: readonly string[]): LddAnswer {
  let loader: string | undefined;
  let isStatic = false;
  const libs: Library[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (/^(statically linked|not a dynamic executable)$/.test(line)) {
      isStatic = true;
      continue;
    }
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)", "libfoo.so.1 => not found",
    // old glibc's vDSO "linux-vdso.so.1 =>  (0x…)", and on some ports the loader itself:
    // "/lib/ld-linux-armhf.so.3 => /lib/arm-linux-gnueabihf/ld-linux-armhf.so.3 (0x…)".
    const arrow = /^(\S+)\s+=>\s*(.*)$/.exec(line);
    if (arrow) {
      const name = arrow[1]!;
      const rest = arrow[2]!;
      if (name.startsWith('/')) loader = name;
      else if (rest.startsWith('not found')) libs.push({ name });
      else if (rest.startsWith('/')) libs.push({ name, path: rest.split(/\s+/)[0]! });
      // else: "=> (0x…)", the vDSO: no file to copy
      continue;
    }
    // "/lib64/ld-linux-x86-64.so.2 (0x…)": the loader; "linux-vdso.so.1 (0x…)": the vDSO.
    const bare = /^(\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (bare && bare[1]!.startsWith('/')) loader = bare[1]!;
  }
  return { file, ...(loader !== undefined ? { loader } : {}), libs, isStatic };
}

/**
 * Parse what `ldd file…` printed on stdout, one answer per file in the order given. With one
 * file ldd prints its lines alone; with several it heads each with "file:". A file whose header
 * is missing gets an empty answer (no loader, no libraries, not said to be static).
 */
export function parseLdd(stdout: string, files: readonly string[]): LddAnswer[] {
  const lines = stdout.split('\n');
  if (files.length === 1) return [answer(files[0]!, lines)];
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of lines) {
    const head = /^(\S.*):$/.exec(line);
    if (head && files.includes(head[1]!)) {
      current = [];
      sections.set(head[1]!, current);
    } else if (current) {
      current.push(line);
    }
  }
  return files.map((f) => answer(f, sections.get(f) ?? []));
}

/** Every file ldd's answers name, loader included: what must be copied into the image (sorted). */
export function filesToCopy(answers: readonly LddAnswer[]): string[] {
  const out = new Set<string>();
  for (const a of answers) {
    for (const l of a.libs) if (l.path !== undefined) out.add(l.path);
    if (a.loader !== undefined) out.add(a.loader);
  }
  return [...out].sort();
}
