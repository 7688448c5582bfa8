// nslab's version, from its package.json. On the cold path of every command (`nslab --version`
// must cost little more than node itself), so it takes Node's fs without building the ESM
// facade of node:fs, which alone costs a few milliseconds (process.getBuiltinModule, Node ≥ 20.16).
const fs: typeof import('node:fs') = process.getBuiltinModule?.('node:fs') ?? (await import('node:fs'));

let cached: string | undefined;

export function version(): string {
  if (cached !== undefined) return cached;
  cached = '0.0.0';
  for (const rel of ['../../../../package.json', '../../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (fs.existsSync(url)) {
      const pkg = JSON.parse(fs.readFileSync(url, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'nslab' && pkg.version) return (cached = pkg.version);
    }
  }
  return cached;
}
