// Gathers what a review needs of one pull request from GitHub: metadata and the reviewable files' hunks.
import picomatch from 'picomatch';
import type { Repo } from '../../../base/context.js';
import { getPullRequest, LIST_FILES_LIMIT, listPullFiles, type PullFile, type PullRequest } from '../../../base/github/pulls.js';
import type { GitHub } from '../../../base/github/octokit.js';
import { parsePatch, type FileDiff } from './diff.js';

/** Why a changed file is not reviewed. */
export type SkipReason = 'deleted' | 'binary or too large' | 'renamed without changes' | 'excluded by paths' | 'excluded by paths-ignore';

/** A pull request ready to be reviewed. */
export interface GatheredPull {
  kind: 'review';
  pr: PullRequest;
  /** Every file GitHub listed (reviewable or not), for context in prompts. */
  allPaths: string[];
  files: FileDiff[];
  skipped: Array<{ path: string; reason: SkipReason }>;
  /** GitHub's 3000-file limit cut the list of files short. */
  truncated: boolean;
}

/** A pull request that is not reviewed at all, and why. */
export interface SkippedPull {
  kind: 'skipped';
  number: number;
  pr?: PullRequest;
  reason: string;
}

export interface GatherOptions {
  /** Drafts are reviewed only when the user named the pull requests. */
  explicit: boolean;
  paths: readonly string[];
  pathsIgnore: readonly string[];
}

/** Reads one pull request and its files (each once) and decides which files are reviewed. */
export async function gatherPull(github: GitHub, repo: Repo, number: number, options: GatherOptions): Promise<GatheredPull | SkippedPull> {
  const pull = await readPull(github, repo, number, options);
  return pull.kind === 'skipped' ? pull : readPullFiles(github, repo, pull.pr, options);
}

/** Reads one pull request and decides whether it is reviewed at all (drafts and closed ones only when named). */
export async function readPull(
  github: GitHub,
  repo: Repo,
  number: number,
  options: Pick<GatherOptions, 'explicit'>,
): Promise<{ kind: 'open'; pr: PullRequest } | SkippedPull> {
  const pr = await getPullRequest(github, repo, number);
  if (pr.draft && !options.explicit) {
    return { kind: 'skipped', number, pr, reason: 'draft pull request (name it in `pr-number` to review it anyway)' };
  }
  if (pr.state !== 'open' && !options.explicit) {
    return { kind: 'skipped', number, pr, reason: `the pull request is ${pr.state}` };
  }
  return { kind: 'open', pr };
}

/** Reads a pull request's files and decides which are reviewed. */
export async function readPullFiles(github: GitHub, repo: Repo, pr: PullRequest, options: GatherOptions): Promise<GatheredPull> {
  const { files, truncated } = await listPullFiles(github, repo, pr.number, pr.changedFiles);
  const selected = selectFiles(files, options.paths, options.pathsIgnore);
  return { kind: 'review', pr, allPaths: files.map((f) => f.filename), truncated, ...selected };
}

/**
 * A path filter with GitHub's `on.<event>.paths` semantics: patterns are evaluated in order and the last one that
 * matches decides; a `!pattern` that matches says "no". Returns undefined when no pattern matches.
 */
export function lastMatchWins(patterns: readonly string[]): (path: string) => boolean | undefined {
  const compiled = patterns.map((p) => {
    const negated = p.startsWith('!');
    return { negated, matches: picomatch(negated ? p.slice(1) : p, { dot: true }) };
  });
  return (path) => {
    let verdict: boolean | undefined;
    for (const { negated, matches } of compiled) if (matches(path)) verdict = !negated;
    return verdict;
  };
}

/**
 * Applies paths / paths-ignore (picomatch, dotfiles included, GitHub's order: the last matching pattern wins, so
 * `src/**, !src/gen/**` leaves out src/gen, and a paths-ignore of Markdown files followed by `!docs/keep.md` keeps
 * that one file), and drops what has no reviewable text. A file no `paths` pattern matches is not reviewed.
 */
export function selectFiles(
  files: readonly PullFile[],
  paths: readonly string[],
  pathsIgnore: readonly string[],
): { files: FileDiff[]; skipped: Array<{ path: string; reason: SkipReason }> } {
  const includedBy = lastMatchWins(paths);
  const ignoredBy = lastMatchWins(pathsIgnore);
  const included = (path: string) => paths.length === 0 || includedBy(path) === true;
  const ignored = (path: string) => ignoredBy(path) === true;
  const out: FileDiff[] = [];
  const skipped: Array<{ path: string; reason: SkipReason }> = [];
  for (const f of files) {
    const path = f.filename;
    if (!included(path)) skipped.push({ path, reason: 'excluded by paths' });
    else if (ignored(path)) skipped.push({ path, reason: 'excluded by paths-ignore' });
    else if (f.status === 'removed') skipped.push({ path, reason: 'deleted' });
    else if (f.patch === undefined || f.patch === '') {
      const unchanged = f.status === 'renamed' && (f.changes ?? 0) === 0;
      skipped.push({ path, reason: unchanged ? 'renamed without changes' : 'binary or too large' });
    } else {
      const hunks = parsePatch(f.patch);
      if (hunks.length === 0) skipped.push({ path, reason: 'binary or too large' });
      else out.push({ path, status: f.status, hunks, ...(f.previous_filename ? { previousPath: f.previous_filename } : {}) });
    }
  }
  return { files: out, skipped };
}

/** The note for a file list GitHub cut short. */
export const TRUNCATED_NOTE = `GitHub lists at most ${LIST_FILES_LIMIT} files of a pull request; files beyond that were not reviewed.`;
