// A pull request's nested rules: the AGENTS.md files of its base commit on the way to each changed file, found from one
// listing of that commit and read once each. Never the head's: a pull request cannot rewrite the rules it is reviewed by.
import { githubErrorInfo } from '../../../base/github/errors.js';
import { log } from '../../../base/log.js';
import { NO_RULES, rulesFor, type RuleIndex, type RuleText, type ShownRules } from '../../../base/rules/nested-rules.js';
import type { RuleReader } from '../../../base/rules/rule-reader.js';

/** What a pull request's chunks are shown of its nested rules, and what its summary says about them. */
export interface PullRules {
  index: RuleIndex;
  texts: ReadonlyMap<string, RuleText>;
  /** What could not be looked at or read. */
  notes: string[];
}

/**
 * The rules files of the folders `paths` are in at `baseSha`. Rules are a help, not the review: a listing GitHub
 * fails to give leaves the chunks with the root's conventions only, and the summary says so.
 */
export async function findPullRules(reader: RuleReader, label: string, baseSha: string, paths: readonly string[]): Promise<Pick<PullRules, 'index' | 'notes'>> {
  if (paths.length === 0) return { index: new Map(), notes: [] };
  try {
    const found = await reader.find(baseSha, paths);
    for (const note of found.notes) log.warning(`${label}: ${note}`);
    return found;
  } catch (error) {
    const note = `The nested AGENTS.md of the base commit could not be listed (${githubErrorInfo(error).message}); the review used the root's conventions only.`;
    log.warning(`${label}: ${note}`);
    return { index: new Map(), notes: [note] };
  }
}

/** Reads the rules files that apply to `paths` (once each); a failed read leaves them out, said in the notes. */
export async function readPullRules(reader: RuleReader, label: string, paths: readonly string[], found: Pick<PullRules, 'index' | 'notes'>): Promise<PullRules> {
  if (found.index.size === 0) return { ...found, texts: new Map() };
  try {
    return { ...found, texts: await reader.readFor(paths, found.index) };
  } catch (error) {
    const note = `The nested AGENTS.md of the base commit could not be read (${githubErrorInfo(error).message}); the review used the root's conventions only.`;
    log.warning(`${label}: ${note}`);
    return { index: new Map(), texts: new Map(), notes: [...found.notes, note] };
  }
}

/** One chunk's share: the rules files on its own files' paths only. */
export function chunkRules(rules: PullRules, paths: readonly string[]): ShownRules {
  return rules.index.size === 0 ? NO_RULES : rulesFor(paths, rules.index, rules.texts);
}
