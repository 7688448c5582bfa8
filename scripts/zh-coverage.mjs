#!/usr/bin/env node
// How Chinese is `nslab run --all --lang zh`? Runs it (as root, like any lab run) or reads a saved
// output, and prints the share of the lines a learner reads that carry Chinese. Command output
// (the indented lines under a `$ command` line) is left out: it is the kernel's and the tools'.
//
//   sudo node scripts/zh-coverage.mjs             run every lab in Chinese and measure
//   sudo node scripts/zh-coverage.mjs --vm        the same in the VM (lab 12 included)
//   node scripts/zh-coverage.mjs --file out.txt   measure a saved output
//   … --show                                      also list the lines without Chinese
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CJK = /[\u3400-\u4dbf\u4e00-\u9fff]/u;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** The lines a learner reads, split into those with and without Chinese. */
export function measure(text) {
  const withZh = [];
  const without = [];
  let inOutput = false;
  for (const raw of text.replace(ANSI, '').split(/\r?\n/)) {
    if (raw.trim() === '') continue;
    const indent = raw.length - raw.trimStart().length;
    if (/^\s*\$ /.test(raw)) {
      inOutput = true;
      (CJK.test(raw) ? withZh : without).push(raw);
      continue;
    }
    if (inOutput && indent >= 4) continue; // the command's own output
    inOutput = false;
    (CJK.test(raw) ? withZh : without).push(raw);
  }
  const total = withZh.length + without.length;
  return { total, chinese: withZh.length, percent: total === 0 ? 0 : (100 * withZh.length) / total, without };
}

function main(argv) {
  const show = argv.includes('--show');
  const fileAt = argv.indexOf('--file');
  let text;
  if (fileAt >= 0) text = readFileSync(argv[fileAt + 1], 'utf8');
  else {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const extra = argv.filter((a) => a === '--vm');
    const r = spawnSync(process.execPath, [join(root, 'bin', 'nslab.js'), 'run', '--all', '--lang', 'zh', ...extra], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    text = `${r.stdout}\n${r.stderr}`;
  }
  const m = measure(text);
  console.log(`zh coverage: ${m.percent.toFixed(1)} % of ${m.total} lines carry Chinese (command output left out); goal ≥ 95 %`);
  console.log(`中文覆盖率：${m.percent.toFixed(1)} %（共 ${m.total} 行，不计命令输出）；目标 ≥ 95 %`);
  if (show) for (const l of m.without) console.log(`  no zh │ ${l}`);
  return m.percent >= 95 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
