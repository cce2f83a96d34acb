// The workflow author's review instructions: the prompt input, or prompt-file read from the base commit when the
// pull request changes it.
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { execa } from 'execa';
import type { RunContext } from '../../../base/context.js';
import { readFileAt } from '../../../base/github/pulls.js';
import { type GatheredPull } from './gather.js';
import { log } from '../../../base/log.js';

/** A prompt-file that cannot be read. */
export class PromptFileError extends Error {
  override name = 'PromptFileError';
}

const PROMPT_FILE_MAX_BYTES = 64 * 1024;

/**
 * The workflow author's prompt, or the prompt-file's text. A prompt-file this batch's pull requests change is read
 * from the base commit instead, so a pull request cannot rewrite its own review instructions.
 */
export async function readUserPrompt(ctx: RunContext, gathered: readonly GatheredPull[], notes: string[]): Promise<string | undefined> {
  const { inputs } = ctx;
  if (inputs.prompt !== undefined) return inputs.prompt;
  if (inputs.promptFile === undefined) return undefined;
  // listFiles names files from the repository's root, which is not working-directory in a monorepo.
  const root = await repositoryRoot(ctx);
  const promptFile = inputs.promptFile;
  const relToRoot = relative(root, await realpath(promptFile).catch(() => promptFile));
  const rel = relToRoot.split(sep).join('/');
  const inside = relToRoot !== '' && relToRoot !== '..' && !relToRoot.startsWith(`..${sep}`) && !isAbsolute(relToRoot);
  const changing = inside ? gathered.find((g) => g.allPaths.includes(rel)) : undefined;
  if (changing) {
    const base = await readFileAt(ctx.github, ctx.repo, rel, changing.pr.baseSha, PROMPT_FILE_MAX_BYTES);
    const note = base
      ? `prompt-file \`${rel}\` is changed by pull request #${changing.pr.number}; its version from the base branch was used.`
      : `prompt-file \`${rel}\` is added by pull request #${changing.pr.number}; it was not used.`;
    log.warning(note);
    notes.push(note);
    return base?.text;
  }
  try {
    return await readFile(inputs.promptFile, 'utf8');
  } catch (error) {
    throw new PromptFileError(`Could not read prompt-file ${inputs.promptFile}: ${(error as Error).message}. Check the path (it is relative to working-directory).`, { cause: error });
  }
}

/**
 * The checkout's top directory: `git rev-parse --show-toplevel` in working-directory, else GITHUB_WORKSPACE, else
 * working-directory itself (symbolic links resolved, as git resolves them).
 */
async function repositoryRoot(ctx: RunContext): Promise<string> {
  const cwd = ctx.inputs.workingDirectory;
  try {
    const { stdout } = await execa('git', ['rev-parse', '--show-toplevel'], { cwd, stdin: 'ignore' });
    if (stdout.trim() !== '') return await realpath(stdout.trim());
  } catch {
    // Not a git checkout, or git refuses it (e.g. "dubious ownership"): fall back below.
  }
  const fallback = ctx.env.GITHUB_WORKSPACE ?? cwd;
  return realpath(fallback).catch(() => fallback);
}
