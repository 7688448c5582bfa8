// A tiny ustar writer and reader: just enough for image layers made of directories and
// regular files (what `docker save` puts in each layer.tar), whiteouts included by name.

export interface TarEntry {
  /** Relative path; directories may end with '/'. */
  readonly name: string;
  readonly type: 'file' | 'dir';
  readonly mode?: number;
  readonly content?: string;
}

const BLOCK = 512;

function field(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'utf8');
}

function octal(buf: Buffer, offset: number, length: number, value: number): void {
  field(buf, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function header(e: TarEntry, size: number): Buffer {
  const name = e.type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
  if (Buffer.byteLength(name) > 99) throw new Error(`tar: name too long for this writer: ${name}`);
  const h = Buffer.alloc(BLOCK);
  field(h, 0, 100, name);
  octal(h, 100, 8, e.mode ?? (e.type === 'dir' ? 0o755 : 0o644));
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, 0); // mtime: layers are reproducible, like `docker build` with SOURCE_DATE_EPOCH
  field(h, 148, 8, '        '); // checksum is computed with this field as spaces
  field(h, 156, 1, e.type === 'dir' ? '5' : '0');
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  field(h, 265, 32, 'root');
  field(h, 297, 32, 'root');
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A tar archive of `entries`, in order. */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.type === 'file' ? (e.content ?? '') : '');
    parts.push(header(e, data.length), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK)); // end of archive
  return Buffer.concat(parts);
}

export interface ReadEntry {
  readonly name: string;
  readonly type: 'file' | 'dir' | 'other';
  readonly mode: number;
  readonly data: Buffer;
}

function str(buf: Buffer, offset: number, length: number): string {
  const raw = buf.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function num(buf: Buffer, offset: number, length: number): number {
  return parseInt(str(buf, offset, length).trim() || '0', 8);
}

/** The entries of a ustar archive; a bad checksum is an error, not a guess. */
export function readTar(archive: Buffer): ReadEntry[] {
  const out: ReadEntry[] = [];
  for (let off = 0; off + BLOCK <= archive.length; ) {
    const h = archive.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (sum !== num(h, 148, 8)) throw new Error(`tar: bad header checksum at offset ${off}`);
    const size = num(h, 124, 12);
    const prefix = str(h, 345, 155);
    const name = (prefix ? `${prefix}/` : '') + str(h, 0, 100);
    const flag = str(h, 156, 1);
    const type = flag === '5' ? 'dir' : flag === '0' || flag === '' ? 'file' : 'other';
    const start = off + BLOCK;
    out.push({ name: name.replace(/^\.\//, '').replace(/\/$/, ''), type, mode: num(h, 100, 8), data: archive.subarray(start, start + size) });
    off = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}
