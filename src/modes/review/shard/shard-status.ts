// The status comment of a sharded review while it runs: the plan writes one line per shard, and each shard edits only
// its own line in the comment as it is then (the shards run at once, on different runners). Pure.
import type { ShardSpec } from '../../../base/options.js';
import { displayPath } from '../gather/diff.js';
import type { Chunk } from '../gather/chunks.js';
import { limit, oneLine, SUMMARY_MARKER } from '../deliver/compose.js';
import { runLink, scopeLine, withMarker, type PlanMark, type Scope } from '../deliver/status.js';

const MAX_NAMES_PER_SHARD = 3;

/** One shard's line in the status comment. */
export interface ShardLine {
  spec: ShardSpec;
  slice: readonly Chunk[];
  done: number;
  failed: number;
  state: 'waiting' | 'running' | 'done' | 'failed';
  /** Why the shard failed (state `failed`). */
  note?: string;
}

/** The shard lines of a plan before any shard started. */
export function waitingLines(slices: readonly (readonly Chunk[])[]): ShardLine[] {
  return slices.map((slice, k) => ({ spec: { index: k + 1, count: slices.length }, slice, done: 0, failed: 0, state: 'waiting' }));
}

/** What the plan shows: the scope, the counts, and every shard waiting. */
export function plannedBody(v: {
  headSha: string;
  scope: Scope;
  files: number;
  chunks: number;
  shards: readonly ShardLine[];
  runUrl: string | undefined;
  reviewed: string | undefined;
  plan: PlanMark;
}): string {
  const out = [
    SUMMARY_MARKER,
    '## Codex review: in progress ⏳',
    '',
    `${scopeLine(v.headSha, v.scope)} · ${v.files} file${v.files === 1 ? '' : 's'} in ${v.chunks} chunk${v.chunks === 1 ? '' : 's'} · ` +
      `review in progress: ${v.shards.length} shard${v.shards.length === 1 ? '' : 's'}${runLink(v.runUrl)}`,
    '',
    ...v.shards.map(shardLine),
  ];
  return withMarker(limit(out.join('\n')), v);
}

/** `- [ ] Shard 2 of 3 — chunks 4–6 (`a.ts`, `b.ts`, … 2 more): 1 of 3 done`. */
export function shardLine(l: ShardLine): string {
  const total = l.slice.length;
  const first = l.slice[0]?.index;
  const last = l.slice.at(-1)?.index;
  const range = first === undefined ? 'no chunks' : first === last ? `chunk ${first}` : `chunks ${first}–${last}`;
  const paths = [...new Set(l.slice.flatMap((c) => c.paths))];
  const names = paths.slice(0, MAX_NAMES_PER_SHARD).map((p) => `\`${oneLine(displayPath(p)).replace(/`/g, "'")}\``);
  if (paths.length > MAX_NAMES_PER_SHARD) names.push(`… ${paths.length - MAX_NAMES_PER_SHARD} more`);
  const failed = l.failed > 0 ? `, ${l.failed} could not be reviewed` : '';
  const state =
    l.state === 'waiting'
      ? 'waiting'
      : l.state === 'running'
        ? `${l.done + l.failed} of ${total} done${failed}`
        : l.state === 'done'
          ? `all ${total} done${failed}`
          : `failed${l.note ? `: ${oneLine(l.note).slice(0, 200)}` : ''}`;
  const box = l.state === 'done' || l.state === 'failed' ? '[x]' : '[ ]';
  return `- ${box} Shard ${l.spec.index} of ${l.spec.count} — ${range}${names.length > 0 ? ` (${names.join(', ')})` : ''}: ${state}`;
}

/**
 * `body` with this shard's line replaced; undefined when the body has no line of this shard (the comment is not the
 * plan's any more: a newer run wrote it), so the shard leaves it alone.
 */
export function withShardLine(body: string, line: ShardLine): string | undefined {
  const pattern = new RegExp(`^- \\[[ x]\\] Shard ${line.spec.index} of ${line.spec.count} — .*$`, 'm');
  if (!pattern.test(body)) return undefined;
  const next = shardLine(line);
  return body.replace(pattern, () => next);
}
