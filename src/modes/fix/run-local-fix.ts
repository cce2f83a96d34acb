// `codex-ci fix`: the test command, agent turns each verified by a re-run, then a verified change left uncommitted or
// a patch kept and the tree put back; never a commit. One file: the flow and the tree snapshot it diffs and restores.
import { copyFile, mkdir, mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AgentFailure } from '../../base/codex/agent-failure.js';
import type { Thread } from '../../base/codex/app-server.js';
import { agentEnvironment } from '../../base/codex/environment.js';
import { commandSandbox } from '../../base/codex/sandbox-exec.js';
import { sandboxFailureIn, SandboxUnavailableError } from '../../base/codex/sandbox.js';
import { describeTestRun, runTestCommand, type TestRun } from '../../base/command/test-command.js';
import type { RunContext } from '../../base/context.js';
import { Git, GitError, type DiffStatEntry } from '../../base/git.js';
import { log } from '../../base/log.js';
import { runAttempts, type Attempt, type AttemptsResult } from '../../base/repair/attempts.js';
import { finalAnswerRequest, PROTECTED_PATHS, type Diagnosis } from '../../base/repair/diagnosis.js';
import { tailText } from '../../base/text/bounds.js';
import { redact } from '../../base/text/redact.js';
import { fixInstructions, rulesSection } from './prompts.js';
import { failureRules, type FailureRules } from './failure-rules.js';

/** The folder cannot be fixed in as it is (not a git repository): one line, the user's to act on. */
export class LocalFixError extends Error {
  override name = 'LocalFixError';
}

export interface LocalFixOptions {
  /** The test command as one shell command line (run through bash, as the user would type it). */
  command: string;
  /** Absolute: the change goes only there, as a patch, and the working tree is put back. */
  patchFile?: string;
}

export interface LocalFixResult {
  /** `passing`: the command passed before any change, and no agent was started. */
  status: 'passing' | 'verified' | 'unverified';
  /** The repository's top folder: the patch's and `files`' paths are relative to it. */
  root: string;
  firstRun: TestRun;
  attempts: Attempt[];
  diagnosis: Diagnosis | undefined;
  finalMessage: string | null;
  /** The agent's change (`git apply`), against the working tree as it was when the agent started; '' for none. */
  patch: string;
  files: DiffStatEntry[];
  /** The change is in the working tree, uncommitted (a verified fix without patchFile). */
  inTree: boolean;
  /** Where the patch was written, when it was. */
  patchPath: string | undefined;
  /** The tree had uncommitted changes of its own: they stay, and the patch applies on top of them. */
  startedDirty: boolean;
  /** Protected paths the agent changed and that were put back. */
  reverted: string[];
  /** Untracked paths the verification runs created: the command's output, left in place, not part of the change. */
  testLeftovers: string[];
  usage: AttemptsResult['usage'];
  /** Why the agent stopped before it finished (the endpoint refused the key, a turn failed or timed out, …). */
  agentError: string | undefined;
}

// How much of the failing output the first turn carries.
const FIRST_OUTPUT_BYTES = 20_000;

/** Runs `options.command` in ctx.inputs.workingDirectory and, when it fails, lets the agent fix it. */
export async function runLocalFix(ctx: RunContext, options: LocalFixOptions): Promise<LocalFixResult> {
  const { inputs } = ctx;
  const { command } = options;
  const cwd = inputs.workingDirectory;
  const git = new Git(cwd);
  const root = await repositoryRoot(git, cwd);

  // The command runs as the agent's own commands do: no secrets in its environment, and inside the sandbox (after the
  // first run it executes code the agent wrote).
  const testEnv = agentEnvironment(ctx.env, ctx.secrets);
  const timeoutMs = inputs.timeoutMinutes * 60_000;
  const leftovers = new Set<string>();
  const runTests = async (): Promise<TestRun> => {
    const sandbox = commandSandbox((await ctx.codex()).path, inputs.sandbox, ctx.tempDir);
    const before = new Set(await git.untracked({ perFile: true }));
    const test = await runTestCommand(command, { cwd, env: testEnv, timeoutMs, sandbox });
    for (const path of await git.untracked({ perFile: true })) if (!before.has(path)) leftovers.add(path);
    const failure = sandbox && !test.passed ? sandboxFailureIn(test.output, test.exitCode ?? 1) : undefined;
    if (failure) throw new SandboxUnavailableError(failure);
    return test;
  };

  log.startGroup(`Run \`${command}\``);
  const firstRun = await runTests().finally(() => log.endGroup());
  log.info(describeTestRun(firstRun));
  const none = { attempts: [], diagnosis: undefined, finalMessage: null, patch: '', files: [], inTree: false, patchPath: undefined };
  const usage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  if (firstRun.passed) {
    return { status: 'passing', root, firstRun, ...none, startedDirty: false, reverted: [], testLeftovers: [], usage, agentError: undefined };
  }
  // What the first run wrote is part of the starting state, as if the user had run the command themselves.
  leftovers.clear();

  const scratch = await mkdtemp(join(ctx.tempDir, 'codex-fix-'));
  try {
    const snapshot = await TreeSnapshot.take(git, root, join(scratch, 'index'));
    const startedDirty = snapshot.start !== (await headTree(git));
    const reverted = new Set<string>();
    const finish = (result: AttemptsResult) => keepOrRestore(git, snapshot, options, { ...result, leftovers, startedDirty });
    let result: AttemptsResult;
    try {
      // The rules come from HEAD, as Codex's own root AGENTS.md does: not from uncommitted changes to them.
      const head = await git.run(['rev-parse', '--verify', '--quiet', 'HEAD'], { okExitCodes: [1] });
      const rules = head.exitCode === 0 ? await failureRules(git, head.stdout.trim(), tailText(firstRun.output, FIRST_OUTPUT_BYTES)) : undefined;
      result = await runAgent(ctx, { command, cwd, firstRun, startedDirty, rules, runTests, revertProtected: () => revertProtected(snapshot, reverted) });
    } catch (error) {
      // Whatever broke (the sandbox, git, the app-server's start), the user's tree does not keep a half-made change.
      const kept = await finish({ ...noAttempts(usage), agentError: 'stopped' }).then(
        (k) => (k.patchPath ? ` The agent's change so far is kept in ${k.patchPath}; the working tree is as it was.` : ''),
        (keepError: Error) => ` ${keepError.message}`,
      );
      if (error instanceof Error) error.message += kept;
      throw error;
    }
    const kept = await finish(result);
    const status = result.verified && !result.agentError ? 'verified' : 'unverified';
    return { status, root, firstRun, ...result, ...kept, startedDirty, reverted: [...reverted], testLeftovers: [...leftovers] };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

interface AgentInput {
  command: string;
  cwd: string;
  firstRun: TestRun;
  startedDirty: boolean;
  /** The nested AGENTS.md (at HEAD) of the files the failing output names. */
  rules: FailureRules | undefined;
  runTests(): Promise<TestRun>;
  revertProtected(): Promise<string[]>;
}

// One app-server, one thread in the job's sandbox (workspace-write unless the user chose otherwise), the attempt loop.
async function runAgent(ctx: RunContext, input: AgentInput): Promise<AttemptsResult> {
  const { inputs } = ctx;
  const session = await ctx.openSession();
  try {
    let thread: Thread;
    try {
      thread = await session.server.startThread({
        cwd: input.cwd,
        sandbox: inputs.sandbox ?? 'workspace-write',
        approvalPolicy: inputs.approvalPolicy,
        approvalsReviewer: inputs.approvalsReviewer,
        developerInstructions: redact(fixInstructions(input.command), ctx.secrets),
      });
    } catch (error) {
      if (!(error instanceof AgentFailure)) throw error;
      const agentError = `The agent could not start: ${error.message}`;
      log.warning(agentError);
      return { ...noAttempts({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 }), agentError };
    }
    log.info(`Codex thread ${thread.id}.`);
    return await runAttempts({
      thread,
      firstPrompt: firstPrompt(input.command, input.firstRun, inputs.maxAttempts, input.startedDirty, input.rules),
      maxAttempts: inputs.maxAttempts,
      turnOptions: { timeoutMs: inputs.timeoutMinutes * 60_000, effort: inputs.effort, phase: 'fix attempts' },
      revertProtected: input.revertProtected,
      runTests: input.runTests,
      secrets: ctx.secrets,
    });
  } finally {
    await session.close();
  }
}

function noAttempts(usage: AttemptsResult['usage']): AttemptsResult {
  return { attempts: [], diagnosis: undefined, finalMessage: null, verified: false, agentError: undefined, usage };
}

/** The first turn: the failing command and the end of its output, and how the fix is checked. */
function firstPrompt(command: string, run: TestRun, maxAttempts: number, dirty: boolean, rules: FailureRules | undefined): string {
  const how = run.timedOut ? 'did not finish within its time limit' : `failed (exit code ${run.exitCode ?? 'none'})`;
  return [
    `\`${command}\` ${how} in this repository's working tree${dirty ? ' (it has uncommitted changes: they are part of the code under test)' : ''}.`,
    'Diagnose the root cause and fix it with the smallest change.',
    '',
    '## The failure',
    'The end of its output:',
    '```text',
    tailText(run.output, FIRST_OUTPUT_BYTES).replaceAll('```', "'''") || '(no output)',
    '```',
    ...(rules ? ['', rulesSection(rules)] : []),
    '',
    '## How your fix is checked',
    `When you finish, \`${command}\` is run again in the same folder; the fix counts only if it passes.` +
      (maxAttempts > 1 ? ` If it fails you get its output and another try (${maxAttempts} tries in all).` : ''),
    '',
    '## Your answer',
    finalAnswerRequest(),
  ].join('\n');
}

// Put back, against the starting snapshot rather than HEAD (base's revertProtectedPaths): a dirty tree's own changes
// under a protected path are the user's, and the user's index is not touched.
async function revertProtected(snapshot: TreeSnapshot, reverted: Set<string>): Promise<string[]> {
  const changes = await snapshot.changes(await snapshot.current(), PROTECTED_PATHS);
  await snapshot.restore(changes);
  for (const c of changes) reverted.add(c.path);
  return changes.map((c) => c.path);
}

interface Finished extends AttemptsResult {
  leftovers: ReadonlySet<string>;
  startedDirty: boolean;
}

/**
 * Reads the agent's change and puts it where it belongs: a verified fix stays in the tree (unless patchFile); any other
 * change is written as a patch first and then taken out of the tree. If the patch cannot be written, the tree keeps
 * the change (the work is never lost) and the error says so.
 */
async function keepOrRestore(
  git: Git,
  snapshot: TreeSnapshot,
  options: LocalFixOptions,
  done: Finished,
): Promise<Pick<LocalFixResult, 'patch' | 'files' | 'inTree' | 'patchPath'>> {
  // The verification runs' untracked output (coverage/, junit.xml) is not part of the change.
  const tree = await snapshot.current([...done.leftovers]);
  const changes = await snapshot.changes(tree);
  if (changes.length === 0) return { patch: '', files: [], inTree: false, patchPath: undefined };
  const patch = await snapshot.diff(tree);
  const files = await snapshot.numstat(tree);
  const verified = done.verified && !done.agentError;
  if (verified && !options.patchFile) {
    // On top of the user's own uncommitted work, the agent's part alone is kept too, so the two can be told apart.
    const patchPath = done.startedDirty ? await writePatch(await defaultPatchPath(git), patch) : undefined;
    return { patch, files, inTree: true, patchPath };
  }
  const patchPath = await writePatch(options.patchFile ?? (await defaultPatchPath(git)), patch);
  await snapshot.restore(changes);
  return { patch, files, inTree: false, patchPath };
}

// An unverified change goes into the repository's own git folder: it lasts (unlike the OS temp folder, cleared on
// reboot and shared with other users), stays with the repository it applies to, and is outside the working tree, so
// `git status`, a commit or the next run never pick it up. The common dir: a linked worktree's own folder goes with it.
async function defaultPatchPath(git: Git): Promise<string> {
  const common = (await git.run(['rev-parse', '--path-format=absolute', '--git-common-dir'])).stdout.trim();
  return join(common, 'codex-ci', `fix-${new Date().toISOString().replace(/[:.]/g, '-')}.patch`);
}

async function writePatch(path: string, patch: string): Promise<string> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, patch);
    return path;
  } catch (error) {
    throw new Error(`Could not write the patch to ${path} (${(error as Error).message}): the agent's change is left in the working tree.`);
  }
}

async function repositoryRoot(git: Git, cwd: string): Promise<string> {
  try {
    return (await git.run(['rev-parse', '--show-toplevel'])).stdout.trim();
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new LocalFixError(
      `${cwd} is not in a git repository (${error.stderr.trim().split('\n')[0] || 'git rev-parse failed'}): codex-ci fix needs git ` +
        "to tell the agent's change from your files and to put them back; run it inside a repository (git init, then commit).",
    );
  }
}

// git's empty tree: the start of a repository without commits.
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

async function headTree(git: Git): Promise<string> {
  const head = await git.run(['rev-parse', '--verify', '--quiet', 'HEAD^{tree}'], { okExitCodes: [1] });
  return head.exitCode === 0 ? head.stdout.trim() : EMPTY_TREE;
}

/** Every file of the working tree (ignored ones excepted) into the private index, less `exclude`, as a tree. */
async function writeTree(git: Git, env: Record<string, string>, exclude: string[]): Promise<string> {
  await git.run(['add', '--all', '--', ':(top)'], { env });
  for (let i = 0; i < exclude.length; i += 500) {
    await git.run(['rm', '--cached', '--quiet', '--ignore-unmatch', '--', ...exclude.slice(i, i + 500).map(top)], { env });
  }
  return (await git.run(['write-tree'], { env })).stdout.trim();
}

/** A path that differs between the snapshot and a later tree, with git's status letter (A, M, D, T). */
interface TreeChange {
  status: string;
  path: string;
}

/** Git's pathspec for a path relative to the top, taken literally. */
const top = (path: string) => `:(top,literal)${path}`;

/**
 * The working tree as git trees, written through a private index (GIT_INDEX_FILE): the user's index, refs and stash
 * are never written, so staged changes stay staged. A dirty tree is taken as it is, not refused: the agent works on
 * the code the user is testing, the patch is the agent's part alone, and putting the tree back restores the user's own
 * changes exactly (untracked files included; ignored files are neither read nor touched). The blobs land in the
 * repository's object store, where `git gc` removes them.
 */
class TreeSnapshot {
  private constructor(
    private readonly git: Git,
    private readonly root: string,
    private readonly env: Record<string, string>,
    /** The tree when the agent started. */
    readonly start: string,
  ) {}

  static async take(git: Git, root: string, indexFile: string): Promise<TreeSnapshot> {
    // A copy of the user's index carries its stat cache: `add --all` then hashes only what changed.
    const index = (await git.run(['rev-parse', '--path-format=absolute', '--git-path', 'index'])).stdout.trim();
    await copyFile(index, indexFile).catch(() => {}); // a repository without an index yet starts from none
    const env = { GIT_INDEX_FILE: indexFile };
    return new TreeSnapshot(git, root, env, await writeTree(git, env, []));
  }

  /** The tree as it is now, without `exclude` (paths relative to the top). */
  current(exclude: string[] = []): Promise<string> {
    return writeTree(this.git, this.env, exclude);
  }

  /** What differs between the start and `tree`, optionally under `paths` only. */
  async changes(tree: string, paths: string[] = []): Promise<TreeChange[]> {
    const args = ['diff-tree', '-r', '-z', '--no-renames', '--name-status', this.start, tree];
    if (paths.length > 0) args.push('--', ...paths.map(top));
    const fields = (await this.git.run(args)).stdout.split('\0');
    const changes: TreeChange[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]) changes.push({ status: fields[i]!, path: fields[i + 1]! });
    return changes;
  }

  /** The change from the start to `tree` as a patch `git apply` takes (binary files included). */
  async diff(tree: string): Promise<string> {
    return (await this.git.run(['diff', '--binary', '--no-color', '--no-ext-diff', '--no-textconv', this.start, tree])).stdout + '\n';
  }

  async numstat(tree: string): Promise<DiffStatEntry[]> {
    const out = (await this.git.run(['diff', '--numstat', '-z', '--no-renames', this.start, tree])).stdout;
    return out.split('\0').flatMap((field) => {
      const match = /^(-|\d+)\t(-|\d+)\t([\s\S]+)$/.exec(field);
      if (!match) return [];
      const count = (n: string) => (n === '-' ? null : Number(n));
      return [{ additions: count(match[1]!), deletions: count(match[2]!), path: match[3]! }];
    });
  }

  /** Puts `changes` back as they were at the start: added files deleted (and folders they leave empty), the rest restored. */
  async restore(changes: TreeChange[]): Promise<void> {
    // Deletions first: a path may have turned from a file into a folder, or back.
    for (const { path } of changes.filter((c) => c.status === 'A')) {
      await rm(join(this.root, path), { force: true, recursive: true });
      for (let dir = dirname(path); dir !== '.' && dir !== ''; dir = dirname(dir)) {
        if (!(await rmdir(join(this.root, dir)).then(() => true, () => false))) break;
      }
    }
    const back = changes.filter((c) => c.status !== 'A').map((c) => top(c.path));
    for (let i = 0; i < back.length; i += 500) {
      await this.git.run(['checkout', this.start, '--', ...back.slice(i, i + 500)], { env: this.env });
    }
  }
}
