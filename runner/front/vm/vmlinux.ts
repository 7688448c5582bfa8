// The uncompressed kernel inside a vmlinuz, the way the kernel's scripts/extract-vmlinux finds
// it: look for each compressor's magic bytes, decompress from there with the standard tool,
// and keep the first result that is an ELF file. qemu boots such an ELF through its PVH entry
// point without running the kernel's own decompressor, which is slow under emulation.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

interface Format {
  readonly name: string;
  readonly magic: Buffer;
  /** Decompress `data` (which starts at the magic); trailing bytes after the stream are expected. */
  decompress(data: Buffer): Buffer | undefined;
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Run `cmd` over `input`; like extract-vmlinux, what it printed counts even when it complained of trailing bytes. */
function tool(cmd: string, args: readonly string[]) {
  return (input: Buffer): Buffer | undefined => {
    const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 30 });
    return r.error ? undefined : r.stdout;
  };
}

const FORMATS: readonly Format[] = [
  { name: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), decompress: tool('xz', ['-dc', '--single-stream']) },
  { name: 'zstd', magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), decompress: tool('zstd', ['-dcq']) },
  { name: 'gzip', magic: Buffer.from([0x1f, 0x8b, 0x08]), decompress: tool('gzip', ['-dc']) },
  { name: 'lz4', magic: Buffer.from([0x02, 0x21, 0x4c, 0x18]), decompress: tool('lz4', ['-dc']) },
  { name: 'bzip2', magic: Buffer.from('BZh'), decompress: tool('bzip2', ['-dc']) },
  { name: 'lzma', magic: Buffer.from([0x5d, 0x00, 0x00, 0x00]), decompress: tool('xz', ['-dc', '--format=lzma']) },
  { name: 'lzo', magic: Buffer.from([0x89, 0x4c, 0x5a]), decompress: tool('lzop', ['-dc']) },
];

function isElf(b: Buffer | undefined): boolean {
  return b !== undefined && b.length > 64 && b.subarray(0, 4).equals(ELF_MAGIC);
}

/** The ELF image in a bzImage, with the compressor that packed it. Throws when none is found. */
export function extractVmlinux(vmlinuz: Buffer): { elf: Buffer; format: string } {
  if (isElf(vmlinuz)) return { elf: vmlinuz, format: 'none' };
  const tried: string[] = [];
  for (const f of FORMATS) {
    // The magic may also occur by chance earlier in the setup code: try the first few hits.
    let from = 0;
    for (let hit = 0; hit < 4; hit++) {
      const at = vmlinuz.indexOf(f.magic, from);
      if (at < 0) break;
      tried.push(`${f.name}@${at}`);
      const out = f.decompress(vmlinuz.subarray(at));
      if (out && isElf(out)) return { elf: out, format: f.name };
      from = at + 1;
    }
  }
  throw new Error(`no compressed ELF kernel found in the vmlinuz (tried ${tried.join(', ') || 'no magic matched'}); is xz-utils installed?`);
}

export function extractVmlinuxFile(vmlinuz: string, out: string): string {
  const { elf, format } = extractVmlinux(readFileSync(vmlinuz));
  writeFileSync(out, elf);
  return format;
}
