// 07-user-namespace, by hand: as uid 1000 the learner makes a user namespace and maps root in it
// to themselves. The checks read what the host's kernel shows for each process that left the
// playground's user namespace: /proc/PID/status (the ids outside), uid_map, gid_map, setgroups.
import { exercise, t, tool, tryRead, LEARNER_UID, type PgProcess, type PlaygroundView, type Text } from '../../runner/kit/index.js';
import { unprivilegedUserns } from './sysctl.js';

const MAP = `0 ${LEARNER_UID} 1`;

/** One process outside the playground's user namespace, as the host sees it. */
export interface UsernsSeen {
  /** The pid in the playground. */
  readonly inside: number;
  readonly comm: string;
  readonly user: number;
  /** Real uid and gid on the host (first field of Uid:, Gid: in /proc/PID/status). */
  readonly hostUid: number;
  readonly hostGid: number;
  /** The maps as the host reads them, one "inside outside length" per line, spaces squeezed. */
  readonly uidMap: readonly string[];
  readonly gidMap: readonly string[];
  /** /proc/PID/setgroups: "allow" or "deny" ("?" when it could not be read). */
  readonly setgroups: string;
  /** The uid and gid the process has inside its namespace, through the maps (the overflow id when unmapped). */
  readonly uidInside: number;
  readonly gidInside: number;
}

export interface UsernsWorld {
  readonly playgroundUser: number;
  /** Every process outside the playground's user namespace, the most advanced first. */
  readonly others: readonly UsernsSeen[];
  /** The learner's answer, if any. */
  readonly answer: string | undefined;
}

const mapLines = (text: string | undefined): string[] =>
  (text ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/).join(' '))
    .filter((l) => l !== '');

/** An id of the parent namespace translated through a map; the overflow id when no line covers it. */
function throughMap(lines: readonly string[], id: number, overflow: number): number {
  for (const l of lines) {
    const [inside, outside, length] = l.split(' ').map(Number);
    if (inside === undefined || outside === undefined || length === undefined) continue;
    if (id >= outside && id < outside + length) return inside + (id - outside);
  }
  return overflow;
}

/** How far a process got: uid 1000 outside, then the uid map, then the gid map. */
const progress = (s: UsernsSeen) => (s.hostUid === LEARNER_UID ? 4 : 0) + (s.uidMap.join('|') === MAP ? 2 : 0) + (s.gidMap.join('|') === MAP ? 1 : 0);

function seen(p: PgProcess, overflowUid: number, overflowGid: number): UsernsSeen | undefined {
  const uidMap = mapLines(tryRead(`/proc/${p.pid}/uid_map`));
  const gidMap = mapLines(tryRead(`/proc/${p.pid}/gid_map`));
  const setgroups = tryRead(`/proc/${p.pid}/setgroups`)?.trim() ?? '?';
  const hostUid = p.uid[0];
  const hostGid = p.gid[0];
  if (hostUid === undefined || hostGid === undefined) return undefined;
  return {
    inside: p.inside,
    comm: p.comm,
    user: p.ns.user,
    hostUid,
    hostGid,
    uidMap,
    gidMap,
    setgroups,
    uidInside: throughMap(uidMap, hostUid, overflowUid),
    gidInside: throughMap(gidMap, hostGid, overflowGid),
  };
}

function usernsWorld(pg: PlaygroundView): UsernsWorld {
  const overflowUid = Number(tryRead('/proc/sys/kernel/overflowuid')?.trim() ?? '65534');
  const overflowGid = Number(tryRead('/proc/sys/kernel/overflowgid')?.trim() ?? '65534');
  const others = pg
    .processes()
    .filter((p) => p.ns.user !== 0 && p.ns.user !== pg.ns.user)
    .map((p) => seen(p, overflowUid, overflowGid))
    .filter((s): s is UsernsSeen => s !== undefined)
    .sort((a, b) => progress(b) - progress(a) || a.inside - b.inside);
  return { playgroundUser: pg.ns.user, others, answer: pg.answer };
}

const shownMap = (m: readonly string[]) => (m.length === 0 ? '""' : m.join(', '));
const who = (s: UsernsSeen) => `${s.comm}[${s.inside}]`;
const described = (s: UsernsSeen): Text => {
  const maps = `uid_map ${shownMap(s.uidMap)}, gid_map ${shownMap(s.gidMap)}, setgroups ${s.setgroups}`;
  return t(
    `${who(s)} user:[${s.user}] host uid ${s.hostUid}, ${maps} → uid ${s.uidInside} gid ${s.gidInside} inside`,
    `${who(s)} user:[${s.user}] 宿主机 uid ${s.hostUid}，${maps} → 里面 uid ${s.uidInside} gid ${s.gidInside}`,
  );
};
const listed = (o: UsernsWorld): Text => {
  const all = o.others.slice(0, 3).map(described);
  return all.length === 0 ? t('-', '-') : t(all.map((d) => d.en).join('; '), all.map((d) => d.zh).join('；'));
};

const AS_1000 = `setpriv --reuid=${LEARNER_UID} --regid=${LEARNER_UID} --clear-groups`;

/** The rule, said once: used by the do exercise's hint and judged in the break exercise. */
const SETGROUPS_RULE = (pid: number | string): Text =>
  t(
    `the kernel refuses gid_map from an unprivileged writer while /proc/${pid}/setgroups still says "allow": a process that is root in the namespace could call setgroups(2) and drop a supplementary group that the host uses to deny it access. Write "deny" to /proc/${pid}/setgroups first, then gid_map`,
    `当 /proc/${pid}/setgroups 仍是“allow”时，内核拒绝非特权进程写 gid_map：在 namespace 里是 root 的进程可以调用 setgroups(2) 丢掉某个附加组，而宿主机正是用这个组来拒绝它访问的。先向 /proc/${pid}/setgroups 写入“deny”，再写 gid_map`,
  );

/** Shared first condition: some process, uid 1000 on the host, is in a user namespace of its own. */
const ownUserns = {
  id: 'own-userns',
  description: t(
    `A process of the playground is in a user namespace other than the playground's, and its real uid on the host is ${LEARNER_UID}.`,
    `练习场里有一个进程处于练习场以外的 user namespace，它在宿主机上的真实 uid 是 ${LEARNER_UID}。`,
  ),
  evaluate: (o: UsernsWorld) => {
    const best = o.others[0];
    const pass = best !== undefined && best.hostUid === LEARNER_UID;
    const hint = pass
      ? undefined
      : best === undefined
        ? t(
            `no process is outside the playground's user namespace user:[${o.playgroundUser}]: as uid ${LEARNER_UID}, run unshare --user, and keep the process alive (sleep, &) until check.`,
            `没有任何进程在练习场的 user namespace user:[${o.playgroundUser}] 之外：以 uid ${LEARNER_UID} 运行 unshare --user，并让进程一直活到 check（sleep，&）。`,
          )
        : t(
            `your process ${who(best)} is in a new user namespace, but its uid on the host is ${best.hostUid}: you made it as root. Make it as uid ${LEARNER_UID}: ${AS_1000} unshare --user …`,
            `你的进程 ${who(best)} 处于新的 user namespace，但它在宿主机上的 uid 是 ${best.hostUid}：它是以 root 身份创建的。请以 uid ${LEARNER_UID} 创建：${AS_1000} unshare --user …`,
          );
    return {
      observed: listed(o),
      expected: t(`a process in user:[≠${o.playgroundUser}] whose uid on the host is ${LEARNER_UID}`, `一个在 user:[≠${o.playgroundUser}] 中、宿主机 uid 为 ${LEARNER_UID} 的进程`),
      pass,
      ...(hint !== undefined ? { hint } : {}),
    };
  },
};

export const rootInside = exercise<UsernsWorld>({
  id: 'root-inside',
  kind: 'do',
  title: t(`Root inside, uid ${LEARNER_UID} outside`, `里面是 root，外面是 uid ${LEARNER_UID}`),
  task: t(
    `As uid ${LEARNER_UID} (not as root), create a user namespace of your own and map root in it to yourself: uid_map and gid_map both "${MAP}". Leave a process running in it whose real uid on the host is ${LEARNER_UID} and whose uid inside is therefore 0. Then type check (as root or as uid ${LEARNER_UID}, both work).`,
    `以 uid ${LEARNER_UID}（而不是 root）创建一个自己的 user namespace，并把其中的 root 映射为你自己：uid_map 与 gid_map 都是“${MAP}”。在里面留下一个正在运行的进程：它在宿主机上的真实 uid 是 ${LEARNER_UID}，因此在里面的 uid 是 0。然后输入 check（root 或 uid ${LEARNER_UID} 都可以输入）。`,
  ),
  hints: [
    t(
      `The playground's shell is root: become uid ${LEARNER_UID} first (setpriv --reuid=${LEARNER_UID} --regid=${LEARNER_UID} --clear-groups, or runuser -u "$(id -nu ${LEARNER_UID})" --). The maps are written from outside, by a process that may: the namespace's creator, uid ${LEARNER_UID}, may map exactly its own id.`,
      `练习场的 shell 是 root：先变成 uid ${LEARNER_UID}（setpriv --reuid=${LEARNER_UID} --regid=${LEARNER_UID} --clear-groups，或 runuser -u "$(id -nu ${LEARNER_UID})" --）。映射要从外面由有权限的进程写入：namespace 的创建者 uid ${LEARNER_UID} 只能映射它自己的 id。`,
    ),
    t(
      'Write uid_map, then "deny" to /proc/PID/setgroups, then gid_map — or let unshare --map-root-user write all three for you.',
      '先写 uid_map，再向 /proc/PID/setgroups 写“deny”，最后写 gid_map——或者让 unshare --map-root-user 替你写好这三个文件。',
    ),
    t(`${AS_1000} unshare --user --map-root-user sleep 600 &`, `${AS_1000} unshare --user --map-root-user sleep 600 &（在后台运行）`),
  ],
  looksAt: t(
    '/proc/PID/ns/user, /proc/PID/status (Uid, Gid as the host sees them), uid_map, gid_map and setgroups of every process in the playground',
    '练习场里每个进程的 /proc/PID/ns/user、/proc/PID/status（宿主机看到的 Uid、Gid）、uid_map、gid_map 和 setgroups',
  ),
  requirements: [unprivilegedUserns, tool('unshare', 'util-linux'), tool('setpriv', 'util-linux')],
  observe: usernsWorld,
  conditions: [
    ownUserns,
    {
      id: 'uid-map',
      description: t(`Its uid_map is "${MAP}": uid ${LEARNER_UID} outside is uid 0 inside.`, `它的 uid_map 是“${MAP}”：外面的 uid ${LEARNER_UID} 就是里面的 uid 0。`),
      evaluate: (o) => {
        const s = o.others[0];
        const pass = s !== undefined && s.hostUid === LEARNER_UID && s.uidMap.join('|') === MAP && s.uidInside === 0;
        const hint = pass
          ? undefined
          : s === undefined
            ? t('there is no process in a user namespace of its own yet.', '还没有进程处于自己的 user namespace。')
            : s.uidMap.length === 0
              ? t(
                  `the uid_map of ${who(s)} is empty, so inside it is nobody (uid ${s.uidInside}): write "${MAP}" to /proc/${s.inside}/uid_map as uid ${LEARNER_UID}.`,
                  `${who(s)} 的 uid_map 是空的，所以它在里面是 nobody（uid ${s.uidInside}）：以 uid ${LEARNER_UID} 向 /proc/${s.inside}/uid_map 写入“${MAP}”。`,
                )
              : t(
                  `the uid_map of ${who(s)} is "${s.uidMap.join(', ')}", which makes its host uid ${s.hostUid} uid ${s.uidInside} inside; a map is written once, so start a new namespace and write "${MAP}".`,
                  `${who(s)} 的 uid_map 是“${s.uidMap.join(', ')}”，它把宿主机 uid ${s.hostUid} 变成里面的 uid ${s.uidInside}；映射只能写一次，所以请新建一个 namespace 并写入“${MAP}”。`,
                );
        return {
          observed: s === undefined ? '-' : `${who(s)} uid_map ${shownMap(s.uidMap)} → uid ${s.uidInside}`,
          expected: `uid_map ${MAP} → uid 0`,
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
    {
      id: 'gid-map',
      description: t(`Its gid_map is "${MAP}" too, so its gid inside is 0.`, `它的 gid_map 同样是“${MAP}”，所以它在里面的 gid 是 0。`),
      evaluate: (o) => {
        const s = o.others[0];
        const pass = s !== undefined && s.gidMap.join('|') === MAP && s.gidInside === 0;
        const hint = pass
          ? undefined
          : s === undefined
            ? t('there is no process in a user namespace of its own yet.', '还没有进程处于自己的 user namespace。')
            : s.gidMap.length === 0 && s.setgroups !== 'deny'
              ? t(
                  `the gid_map of ${who(s)} is empty: ${SETGROUPS_RULE(s.inside).en}. A map is never rewritten, but an empty one may still be written.`,
                  `${who(s)} 的 gid_map 是空的：${SETGROUPS_RULE(s.inside).zh}。映射不能重写，但空的映射仍然可以写入。`,
                )
              : s.gidMap.length === 0
                ? t(
                    `setgroups of ${who(s)} is "deny" already; now write "${MAP}" to /proc/${s.inside}/gid_map.`,
                    `${who(s)} 的 setgroups 已经是“deny”；现在向 /proc/${s.inside}/gid_map 写入“${MAP}”。`,
                  )
                : t(
                    `the gid_map of ${who(s)} is "${s.gidMap.join(', ')}" (gid ${s.gidInside} inside); start a new namespace and write "${MAP}".`,
                    `${who(s)} 的 gid_map 是“${s.gidMap.join(', ')}”（里面的 gid 是 ${s.gidInside}）；请新建一个 namespace 并写入“${MAP}”。`,
                  );
        return {
          observed: s === undefined ? '-' : `${who(s)} gid_map ${shownMap(s.gidMap)}, setgroups ${s.setgroups} → gid ${s.gidInside}`,
          expected: `gid_map ${MAP} → gid 0`,
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
  ],
  solution: `${AS_1000} unshare --user --map-root-user sleep 600 &
sleep 0.5`,
  nearMisses: [
    {
      id: 'as-root',
      what: t('creates the namespace as root, not as uid 1000', '以 root 而不是 uid 1000 创建 namespace'),
      script: 'unshare --user --map-root-user sleep 600 &\nsleep 0.5',
      fails: 'own-userns',
      hint: 'you made it as root',
    },
    {
      id: 'no-deny',
      what: t('writes gid_map without "deny" in setgroups first: refused', '没有先向 setgroups 写“deny”就写 gid_map：被拒绝'),
      script: `${AS_1000} bash -c 'unshare --user sleep 600 & p=$!; sleep 0.2
echo "${MAP}" > /proc/$p/uid_map
echo "${MAP}" > /proc/$p/gid_map
wait' &
sleep 0.6`,
      fails: 'gid-map',
      hint: 'refuses gid_map from an unprivileged writer',
    },
    {
      id: 'no-maps',
      what: t('a user namespace whose maps were never written', '新建了 user namespace 却没有写映射'),
      script: `${AS_1000} unshare --user sleep 600 &\nsleep 0.5`,
      fails: 'uid-map',
      hint: 'is empty, so inside it is nobody',
    },
  ],
});

/** Does an answer say the rule: setgroups, and "deny" or the groups it protects? (en and zh, leniently) */
export function explainsSetgroups(answer: string | undefined): boolean {
  if (answer === undefined) return false;
  const a = answer.toLowerCase();
  return /setgroups?/.test(a) && /deny|denied|group|drop|组|拒绝/.test(a.replace(/setgroups?/g, ''));
}

export const refusedGidMap = exercise<UsernsWorld>({
  id: 'gid-map-refused',
  kind: 'break',
  title: t('Why was gid_map refused?', '为什么 gid_map 被拒绝了？'),
  task: t(
    `As uid ${LEARNER_UID}, create a user namespace with a process that stays alive, write "${MAP}" to its uid_map, then try the same for its gid_map without touching /proc/PID/setgroups: the kernel refuses. Leave the process in that state (uid_map written, gid_map empty, setgroups "allow"), then answer in a sentence why the kernel refused, e.g. answer because …, and type check.`,
    `以 uid ${LEARNER_UID} 创建一个 user namespace，里面有一个一直活着的进程；向它的 uid_map 写入“${MAP}”，然后不碰 /proc/PID/setgroups，直接对 gid_map 做同样的事：内核会拒绝。让进程保持这个状态（uid_map 已写、gid_map 为空、setgroups 为“allow”），再用一句话回答内核为什么拒绝，例如 answer 因为……，然后输入 check。`,
  ),
  hints: [
    t(
      `Two shells' worth of work in one line: as uid ${LEARNER_UID}, start unshare --user sleep 600 in the background, then write its maps from the outside through /proc/$!/uid_map and /proc/$!/gid_map.`,
      `一行里做两个 shell 的事：以 uid ${LEARNER_UID} 在后台启动 unshare --user sleep 600，再从外面通过 /proc/$!/uid_map 和 /proc/$!/gid_map 写它的映射。`,
    ),
    t(
      `${AS_1000} bash -c 'unshare --user sleep 600 & p=$!; sleep 0.2; echo "${MAP}" > /proc/$p/uid_map; echo "${MAP}" > /proc/$p/gid_map; wait' &`,
      `${AS_1000} bash -c 'unshare --user sleep 600 & p=$!; sleep 0.2; echo "${MAP}" > /proc/$p/uid_map; echo "${MAP}" > /proc/$p/gid_map; wait' &（在后台运行）`,
    ),
    t(
      'Read man 7 user_namespaces, "The /proc/[pid]/setgroups file": what could root inside do with setgroups(2) to a file whose permissions deny a group?',
      '读 man 7 user_namespaces 的“The /proc/[pid]/setgroups file”一节：对于一个按组拒绝访问的文件，里面的 root 能用 setgroups(2) 做什么？',
    ),
  ],
  looksAt: t(
    "/proc/PID/status, uid_map, gid_map and setgroups of every process outside the playground's user namespace, and your answer",
    '练习场 user namespace 之外每个进程的 /proc/PID/status、uid_map、gid_map 和 setgroups，以及你的回答',
  ),
  requirements: [unprivilegedUserns, tool('unshare', 'util-linux'), tool('setpriv', 'util-linux')],
  observe: usernsWorld,
  conditions: [
    ownUserns,
    {
      id: 'refused-state',
      description: t(
        `Its uid_map is "${MAP}", its gid_map is still empty and its setgroups still says "allow": the state in which the kernel refuses gid_map.`,
        `它的 uid_map 是“${MAP}”，gid_map 仍然为空，setgroups 仍是“allow”：正是内核拒绝 gid_map 时的状态。`,
      ),
      evaluate: (o) => {
        const s = o.others.find((x) => x.hostUid === LEARNER_UID && x.uidMap.join('|') === MAP && x.gidMap.length === 0 && x.setgroups === 'allow') ?? o.others[0];
        const pass = s !== undefined && s.hostUid === LEARNER_UID && s.uidMap.join('|') === MAP && s.gidMap.length === 0 && s.setgroups === 'allow';
        const hint = pass
          ? undefined
          : s === undefined
            ? t('there is no process in a user namespace of its own yet.', '还没有进程处于自己的 user namespace。')
            : s.uidMap.length === 0
              ? t(
                  `the uid_map of ${who(s)} is empty: write "${MAP}" to /proc/${s.inside}/uid_map first (as uid ${LEARNER_UID}), then try gid_map.`,
                  `${who(s)} 的 uid_map 是空的：先（以 uid ${LEARNER_UID}）向 /proc/${s.inside}/uid_map 写入“${MAP}”，再试 gid_map。`,
                )
              : s.gidMap.length > 0 || s.setgroups === 'deny'
                ? t(
                    `${who(s)} has setgroups "${s.setgroups}" and gid_map ${shownMap(s.gidMap)}: that is the fix (unshare --map-root-user writes "deny" for you). Here the refusal is wanted: start a new namespace and write uid_map, then gid_map, by hand, without "deny".`,
                    `${who(s)} 的 setgroups 是“${s.setgroups}”，gid_map 是 ${shownMap(s.gidMap)}：这已经是修好的做法（unshare --map-root-user 会替你写“deny”）。这里要的是被拒绝：新建一个 namespace，手工先写 uid_map 再写 gid_map，不写“deny”。`,
                  )
                : t(
                    `the uid_map of ${who(s)} is "${s.uidMap.join(', ')}"; this exercise wants "${MAP}": start a new namespace.`,
                    `${who(s)} 的 uid_map 是“${s.uidMap.join(', ')}”；本练习要求“${MAP}”：请新建一个 namespace。`,
                  );
        return {
          observed: s === undefined ? '-' : described(s),
          expected: t(`uid_map ${MAP}, gid_map "", setgroups allow`, `uid_map ${MAP}，gid_map ""，setgroups allow`),
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
    {
      id: 'explained',
      description: t(
        'Your answer names the rule: gid_map needs "deny" in /proc/PID/setgroups first, so that root inside cannot drop its groups with setgroups(2).',
        '你的回答说出了规则：写 gid_map 之前 /proc/PID/setgroups 必须是“deny”，这样里面的 root 就不能用 setgroups(2) 丢掉自己的组。',
      ),
      evaluate: (o) => {
        const pass = explainsSetgroups(o.answer);
        const hint = pass
          ? undefined
          : o.answer === undefined
            ? t('answer in a sentence why gid_map was refused: answer because …', '用一句话回答 gid_map 为什么被拒绝：answer 因为……')
            : t(
                'your answer does not name the rule: which /proc/PID file must say "deny" before an unprivileged process may write gid_map, and what would setgroups(2) let root inside do otherwise?',
                '你的回答没有说出规则：在非特权进程写 gid_map 之前，哪个 /proc/PID 文件必须是“deny”？否则 setgroups(2) 会让里面的 root 做什么？',
              );
        return {
          observed: o.answer ?? t('(no answer yet)', '（还没有回答）'),
          expected: t('setgroups must be "deny" first (root inside could otherwise drop groups)', '必须先把 setgroups 设为“deny”（否则里面的 root 可以丢掉组）'),
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
  ],
  solution: `${AS_1000} bash -c 'unshare --user sleep 600 & p=$!; sleep 0.2
echo "${MAP}" > /proc/$p/uid_map
echo "${MAP}" > /proc/$p/gid_map 2>/dev/null
wait' &
sleep 0.6
answer 'the kernel refuses gid_map from an unprivileged writer until setgroups is deny: root inside could otherwise call setgroups to drop a group that denies it access'`,
  nearMisses: [
    {
      id: 'fixed-instead',
      what: t('writes "deny" first, so nothing is refused', '先写了“deny”，于是什么也没被拒绝'),
      script: `${AS_1000} unshare --user --map-root-user sleep 600 &
sleep 0.5
answer because of setgroups deny`,
      fails: 'refused-state',
      hint: 'that is the fix',
    },
    {
      id: 'vague-answer',
      what: t('the refused state, with an answer that does not name the rule', '状态正确，但回答没有说出规则'),
      script: `${AS_1000} bash -c 'unshare --user sleep 600 & p=$!; sleep 0.2
echo "${MAP}" > /proc/$p/uid_map
echo "${MAP}" > /proc/$p/gid_map 2>/dev/null
wait' &
sleep 0.6
answer permission denied because I am not root`,
      fails: 'explained',
      hint: 'does not name the rule',
    },
  ],
});

export const exercises = [rootInside, refusedGidMap];
