// The nested AGENTS.md of the files a failure points at, read with git from the commit the fix is made on (not from
// the working tree, which the agent changes): the first attempt's prompt carries them.
import type { Git } from '../../base/git.js';
import { log } from '../../base/log.js';
import { rulesFor, type RuleIndex, type ShownRules } from '../../base/rules/nested-rules.js';
import { RuleReader } from '../../base/rules/rule-reader.js';
import { gitRuleTree } from '../../base/rules/rule-tree.js';
import { pointedFiles } from './pointed-files.js';

/** What the prompt shows: which files the log names, and the rules on their paths. */
export interface FailureRules {
  /** The commit they were read from. */
  sha: string;
  pointed: string[];
  rules: ShownRules;
}

/**
 * The rules files on the way to each file `evidence` names, at commit `sha`, bounded as a review chunk's are. Codex
 * reads the files from the repository's root down to its working folder by itself, so those are left out. Undefined
 * when the log names no file of the repository or none is under nested rules; a git failure only costs the rules.
 */
export async function failureRules(git: Git, sha: string, evidence: string): Promise<FailureRules | undefined> {
  try {
    const reader = new RuleReader(gitRuleTree(git));
    const listing = await reader.files(sha);
    if (!listing) return undefined;
    const prefix = (await git.run(['rev-parse', '--show-prefix'])).stdout.trim();
    const pointed = pointedFiles(evidence, new Set(listing.files.map((f) => f.path)), prefix);
    if (pointed.length === 0) return undefined;
    const found = await reader.find(sha, pointed);
    const index: RuleIndex = new Map([...found.index].filter(([folder]) => !prefix.startsWith(`${folder}/`)));
    const rules = rulesFor(pointed, index, await reader.readFor(pointed, index));
    if (rules.shown.length + rules.leftOut.length + rules.unread.length === 0) return undefined;
    log.info(`Nested rules for the files the failure points at: ${rules.shown.map((r) => r.file.path).join(', ')}.`);
    return { sha, pointed, rules };
  } catch (error) {
    log.warning(`The nested AGENTS.md of the failing files could not be read (${(error as Error).message}); the fix goes on without them.`);
    return undefined;
  }
}
