// `nslab shell 12-devicemapper`: the lab's pool built again (sparse files, loop devices, the
// thin pool, volume 0 with ext4 and id.txt, its snapshot 1), both volumes mounted, and a root
// shell in the directory that holds them. Everything is journalled as in a run and removed
// when the shell exits; the names the README invites the learner to use are journalled too.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dmEnv, interactive, must, sh, t, type StepContext } from '../../runner/kit/index.js';
import { about } from './about.js';
import {
  BASE_TEXT,
  BLOCK_SECTORS,
  DATA_SECTORS,
  LOW_WATER,
  META_SEEK,
  VOLUME_SECTORS,
  attachLoop,
  createDm,
  mapper,
  mountAt,
  names,
  snapshotOf,
} from './ops.js';

function readme(ctx: StepContext, dir: string): string {
  const n = names(ctx);
  const commands = [
    `ls base snap1; cat snap1/id.txt`,
    `dmsetup ls; dmsetup status ${n.pool}`,
    `echo hi >> snap1/id.txt; sync; dmsetup status ${n.pool}`,
    `dmsetup suspend ${n.snap1}; dmsetup message ${n.pool} 0 "create_snap 2 1"; dmsetup resume ${n.snap1}`,
    `dmsetup create ${n.snap2} --table "0 ${VOLUME_SECTORS} thin ${mapper(n.pool)} 2"; mkdir -p snap2; mount ${mapper(n.snap2)} snap2`,
  ];
  const text =
    ctx.lang === 'zh'
      ? [
          `nslab shell 12-devicemapper：${dir}`,
          `  base/   精简卷 0（${mapper(n.thin)}），ext4，里面有 id.txt`,
          `  snap1/  它的快照 1（${mapper(n.snap1)}）`,
          `  thin pool（精简池）${n.pool} 建在 data.img 与 meta.data.img 的 loop 设备上。`,
          '可以试试：',
          ...commands.map((c) => `  ${c}`),
          `退出 shell 时，nslab 会卸载并删除这里的一切（包括名为 ${n.snap2} 的设备和 snap2/ 挂载）；你用其他名字新建的设备请自己删除（dmsetup remove 名字），否则池无法删除。`,
        ]
      : [
          `nslab shell 12-devicemapper: ${dir}`,
          `  base/   thin volume 0 (${mapper(n.thin)}), ext4, with id.txt`,
          `  snap1/  its snapshot 1 (${mapper(n.snap1)})`,
          `  the thin pool ${n.pool} lives on loop devices over data.img and meta.data.img.`,
          'Try:',
          ...commands.map((c) => `  ${c}`),
          `When the shell exits nslab unmounts and removes all of it (a device named ${n.snap2} and a mount on snap2/ included); remove any device you make under another name yourself (dmsetup remove NAME), or the pool cannot be removed.`,
        ];
  return `${text.join('\n')}\n`;
}

export async function openShell(ctx: StepContext): Promise<number> {
  const n = names(ctx);
  const dir = ctx.scratch();
  const [data, meta] = [join(dir, 'data.img'), join(dir, 'meta.data.img')];
  await must(ctx, ['dd', 'if=/dev/zero', `of=${data}`, 'bs=1K', 'count=1', 'seek=10M']);
  await must(ctx, ['dd', 'if=/dev/zero', `of=${meta}`, 'bs=1K', 'count=1', `seek=${META_SEEK}`]);
  const dataLoop = await attachLoop(ctx, data);
  const metaLoop = await attachLoop(ctx, meta);
  await createDm(ctx, n.pool, `0 ${DATA_SECTORS} thin-pool ${metaLoop.device} ${dataLoop.device} ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing`);
  await must(ctx, ['dmsetup', 'message', n.pool, '0', 'create_thin 0'], { env: dmEnv() });
  await createDm(ctx, n.thin, `0 ${VOLUME_SECTORS} thin ${mapper(n.pool)} 0`);
  await must(ctx, ['mkfs.ext4', '-q', '-E', 'lazy_itable_init=0', mapper(n.thin)]);
  const base = join(dir, 'base');
  await mountAt(ctx, n.thin, base);
  await sh(ctx, `echo "${BASE_TEXT}" > ${base}/id.txt`);
  await snapshotOf(ctx, n.thin, 1, 0);
  await createDm(ctx, n.snap1, `0 ${VOLUME_SECTORS} thin ${mapper(n.pool)} 1`);
  await mountAt(ctx, n.snap1, join(dir, 'snap1'));
  // What the README suggests making: journalled now, so the exit removes it (a no-op if never made).
  ctx.cleanup.push({ kind: 'dm', name: n.snap2 }, t(`device-mapper device ${n.snap2}, if made in the shell`, `在 shell 中创建的 device-mapper 设备 ${n.snap2}（如果有）`));
  ctx.cleanup.push({ kind: 'mount', rel: ctx.cleanup.rel(join(dir, 'snap2')) }, t(`a mount on ${dir}/snap2, if made in the shell`, `在 shell 中创建的 ${dir}/snap2 挂载（如果有）`));
  writeFileSync(join(dir, 'README'), readme(ctx, dir));
  ctx.log({ en: readme({ ...ctx, lang: 'en' }, dir).trimEnd(), zh: readme({ ...ctx, lang: 'zh' }, dir).trimEnd() });
  return interactive(ctx, { labId: about.id, namespaces: [], actions: [{ do: 'chdir', path: dir }], env: dmEnv() });
}
