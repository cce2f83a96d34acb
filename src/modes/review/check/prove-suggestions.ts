// Proves suggestions before they are posted as committable: each must apply to exactly the lines it replaces in a
// scratch `git worktree` of the pull request's head, and (verify-suggestions: tests) leave test-command passing.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { RunContext } from '../../../base/context.js';
import { agentEnvironment } from '../../../base/codex/environment.js';
import { sandboxFailureIn } from '../../../base/codex/sandbox.js';
import { commandSandbox } from '../../../base/codex/sandbox-exec.js';
import { describeTestRun, runTestCommand } from '../../../base/command/test-command.js';
import { Git } from '../../../base/git.js';
import { anchor, type FileDiff } from '../gather/diff.js';
import { type Keyed, type SuggestionProof } from '../keyed.js';
import { log } from '../../../base/log.js';

/** What checking a pull request's suggestions produced. */
export interface ProveResult {
  /** By finding fingerprint. */
  proofs: Map<string, SuggestionProof>;
  /** For the job summary (e.g. why nothing was checked). */
  notes: string[];
  /** test-command runs made (baseline included). */
  testRuns: number;
}

/** A suggestion that applies: where, and the text it puts there. */
interface Candidate {
  fp: string;
  path: string;
  /** 1-based, inclusive. */
  start: number;
  end: number;
  replacement: string[];
}

const CHECKOUT_ADVICE =
  'To have them checked, check out the head with actions/checkout and `ref: ${{ github.event.pull_request.head.sha }}`, or set verify-suggestions: off.';

// A repeated neighbouring line counts only when it says something: `}` or a blank line legitimately repeat.
const MEANINGFUL = /[A-Za-z0-9_$]/;
const MIN_MEANINGFUL_CHARS = 6;

/**
 * Checks that `suggestion` replaces lines `start..end` of `lines` exactly: the lines exist, it changes something,
 * and it does not repeat the line just before or after its range (the usual way a model's suggestion overlaps its
 * neighbours, which committed would leave that line twice).
 */
export function checkApplies(lines: readonly string[], start: number, end: number, suggestion: string): { ok: true; replacement: string[] } | { ok: false; why: string } {
  const range = start === end ? `line ${end}` : `lines ${start}–${end}`;
  if (end > lines.length) return { ok: false, why: `it replaces ${range}, but the file has ${lines.length} line(s) at the pull request's head.` };
  const replacement = suggestion.replace(/\r/g, '').replace(/\n+$/, '').split('\n');
  const original = lines.slice(start - 1, end);
  if (replacement.join('\n') === original.join('\n')) return { ok: false, why: `it is the same as ${range}: committing it changes nothing.` };
  const same = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.trim() === b.trim();
  const meaningful = (l: string) => MEANINGFUL.test(l) && l.trim().length >= MIN_MEANINGFUL_CHARS;
  const before = lines[start - 2];
  const first = replacement[0]!;
  if (same(first, before) && !same(first, original[0]) && meaningful(first)) {
    return { ok: false, why: `it starts with line ${start - 1}, which it does not replace: committed, that line would appear twice.` };
  }
  const after = lines[end];
  const last = replacement.at(-1)!;
  if (same(last, after) && !same(last, original.at(-1)) && meaningful(last)) {
    return { ok: false, why: `it ends with line ${end + 1}, which it does not replace: committed, that line would appear twice.` };
  }
  return { ok: true, replacement };
}

/**
 * Finds the items that make `passes` fail: all at once first; on failure, each half again, down to single items.
 * With no broken item this costs one run; with one, about 1 + 2·log2(n).
 */
export async function findBreaking<T>(items: readonly T[], passes: (subset: readonly T[]) => Promise<boolean>): Promise<Set<T>> {
  const broken = new Set<T>();
  const search = async (set: readonly T[]): Promise<void> => {
    if (set.length === 0 || (await passes(set))) return;
    if (set.length === 1) {
      broken.add(set[0]!);
      return;
    }
    const half = Math.ceil(set.length / 2);
    await search(set.slice(0, half));
    await search(set.slice(half));
  };
  await search(items);
  return broken;
}

/** Splits candidates into groups in which no two change overlapping lines of the same file (they cannot both apply). */
export function layers<C extends { path: string; start: number; end: number }>(candidates: readonly C[]): C[][] {
  const out: C[][] = [];
  for (const c of candidates) {
    const fits = (layer: C[]) => layer.every((o) => o.path !== c.path || o.end < c.start || c.end < o.start);
    const layer = out.find(fits);
    if (layer) layer.push(c);
    else out.push([c]);
  }
  return out;
}

/** Applies the candidates (non-overlapping, same file) to a file's lines, bottom-up so line numbers stay valid. */
function applyAll(lines: readonly string[], candidates: readonly Candidate[]): string[] {
  const out = [...lines];
  for (const c of [...candidates].sort((a, b) => b.start - a.start)) out.splice(c.start - 1, c.end - c.start + 1, ...c.replacement);
  return out;
}

/** A file read as lines, remembering its line ending and whether it ended with one. */
interface TextFile {
  lines: string[];
  eol: string;
  finalEol: boolean;
}

function splitFile(text: string): TextFile {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const finalEol = text.endsWith('\n');
  const body = finalEol ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
  return { lines: body === '' ? [] : body.split(/\r?\n/), eol, finalEol };
}

function joinFile(file: TextFile, lines: readonly string[]): string {
  return lines.join(file.eol) + (file.finalEol ? file.eol : '');
}

/**
 * Checks the suggestions of `findings` that would be posted as committable blocks (RIGHT side, placed inline) against
 * the pull request's head in a scratch worktree under RUNNER_TEMP. Never touches the user's working tree; never
 * throws: a check that cannot run is a note, and the suggestions stay as they are.
 */
export async function proveSuggestions(
  ctx: RunContext,
  pull: { number: number; headSha: string; files: readonly FileDiff[] },
  findings: readonly Keyed[],
): Promise<ProveResult> {
  const { inputs } = ctx;
  const result: ProveResult = { proofs: new Map(), notes: [], testRuns: 0 };
  if (inputs.verifySuggestions === 'off') return result;
  const byPath = new Map(pull.files.map((f) => [f.path, f]));
  const withSuggestion = findings.filter((f) => f.suggestion !== null && f.side === 'RIGHT' && anchor(byPath.get(f.path), f) !== null);
  if (withSuggestion.length === 0) return result;

  const workdir = new Git(inputs.workingDirectory);
  let root: string;
  try {
    root = (await workdir.run(['rev-parse', '--show-toplevel'])).stdout.trim();
  } catch {
    result.notes.push(`The suggestions of #${pull.number} were not checked: working-directory is not a git checkout. ${CHECKOUT_ADVICE}`);
    return result;
  }
  const git = new Git(root);
  if (!(await git.exists(`${pull.headSha}^{commit}`))) {
    result.notes.push(
      `The suggestions of #${pull.number} were not checked: the workspace does not hold its head commit ${pull.headSha.slice(0, 12)}. ${CHECKOUT_ADVICE}`,
    );
    return result;
  }

  const scratch = await mkdtemp(join(ctx.tempDir, 'codex-suggestions-'));
  const tree = join(scratch, 'tree');
  try {
    await git.run(['worktree', 'add', '--detach', '--quiet', tree, pull.headSha]);
    const files = new Map<string, TextFile | null>();
    const readAtHead = async (path: string) => {
      if (!files.has(path)) files.set(path, await readFile(join(tree, path), 'utf8').then(splitFile, () => null));
      return files.get(path)!;
    };

    const candidates: Candidate[] = [];
    for (const f of withSuggestion) {
      const file = await readAtHead(f.path);
      const start = f.start_line ?? f.line;
      if (!file) {
        result.proofs.set(f.fp, { status: 'does-not-apply', note: `\`${f.path}\` is not in the pull request's head.` });
        continue;
      }
      const check = checkApplies(file.lines, start, f.line, f.suggestion!);
      if (!check.ok) result.proofs.set(f.fp, { status: 'does-not-apply', note: `it does not apply: ${check.why}` });
      else candidates.push({ fp: f.fp, path: f.path, start, end: f.line, replacement: check.replacement });
    }
    for (const c of candidates) result.proofs.set(c.fp, { status: 'applies', note: 'applies cleanly to the lines it replaces (tests not run).' });

    const command = inputs.testCommand;
    if (inputs.verifySuggestions !== 'tests' || candidates.length === 0) return result;
    if (!command) {
      result.notes.push("verify-suggestions is 'tests' but test-command is not set: suggestions were checked to apply, not tested.");
      return result;
    }
    if (inputs.sandbox === 'danger-full-access') {
      // The tests would run the pull request's code with the action's own rights: never, whatever the sandbox input.
      result.notes.push(
        "verify-suggestions is 'tests', but sandbox is 'danger-full-access': the pull request's code is not run outside the sandbox, so suggestions were checked to apply, not tested.",
      );
      return result;
    }
    await linkDependencies(root, inputs.workingDirectory, tree);
    const cwd = join(tree, relative(root, inputs.workingDirectory));
    // Review threads are read-only; the tests write (build output, caches) in the scratch tree only.
    const sandbox = commandSandbox((await ctx.codex()).path, 'workspace-write', ctx.tempDir);
    const env = agentEnvironment(ctx.env, ctx.secrets);
    const timeoutMs = inputs.timeoutMinutes * 60_000;
    let lastRun = '';
    let sandboxBroken: string | undefined;
    const passesWith = async (set: readonly Candidate[]): Promise<boolean> => {
      await git.run(['-C', tree, 'reset', '--hard', '--quiet']);
      await git.run(['-C', tree, 'clean', '-fdxq', '-e', 'node_modules']);
      for (const path of new Set(set.map((c) => c.path))) {
        const file = (await readAtHead(path))!;
        await writeFile(join(tree, path), joinFile(file, applyAll(file.lines, set.filter((c) => c.path === path))));
      }
      const run = await runTestCommand(command, { cwd, env, timeoutMs, sandbox });
      result.testRuns++;
      lastRun = describeTestRun(run);
      log.info(`Suggestions of #${pull.number}: ${set.length} applied, ${lastRun}`);
      sandboxBroken ??= sandbox && !run.passed ? sandboxFailureIn(run.output, run.exitCode ?? 1) : undefined;
      return run.passed;
    };

    if (!(await passesWith([]))) {
      const why = sandboxBroken ? `the sandbox could not start (${sandboxBroken})` : `it fails on the head without any suggestion: ${lastRun}`;
      result.notes.push(`The suggestions of #${pull.number} were checked to apply but not tested: \`${command}\` cannot prove them, because ${why}`);
      return result;
    }
    const quoted = `\`${command.replace(/`/g, "'")}\``;
    for (const layer of layers(candidates)) {
      const broken = await findBreaking(layer, passesWith);
      for (const c of layer) {
        result.proofs.set(
          c.fp,
          broken.has(c)
            ? { status: 'breaks-tests', note: `${quoted} fails with it applied (it passes on the head without it).` }
            : { status: 'proven', note: `applies cleanly; ${quoted} passes with it.` },
        );
      }
    }
    return result;
  } catch (error) {
    const message = (error as Error).message;
    log.warning(`Could not check the suggestions of #${pull.number}: ${message}`);
    result.notes.push(`The suggestions of #${pull.number} could not be fully checked: ${message}`);
    return result;
  } finally {
    await git.run(['worktree', 'remove', '--force', tree]).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
    await git.run(['worktree', 'prune']).catch(() => undefined);
  }
}

/**
 * The scratch tree has the tracked files only; the workspace's installed dependencies (node_modules) are linked in,
 * so test-command finds them as it does in the workspace.
 */
async function linkDependencies(root: string, workingDirectory: string, tree: string): Promise<void> {
  for (const dir of new Set([root, workingDirectory])) {
    const from = join(dir, 'node_modules');
    const to = join(tree, relative(root, dir), 'node_modules');
    if (existsSync(from) && !existsSync(to)) await symlink(from, to, 'dir').catch(() => undefined);
  }
}

/** Attaches each finding's proof (by fingerprint). */
export function withProofs(findings: readonly Keyed[], proofs: ReadonlyMap<string, SuggestionProof>): Keyed[] {
  return findings.map((f) => {
    const proof = proofs.get(f.fp);
    return proof ? { ...f, proof } : f;
  });
}
