// What git's remote said when it refused a fix push, quoted as it said it, plus a hint only where the remote's own
// words name the cause. GitHub API refusals are read by github/errors.ts.
import { redact } from '../../base/text/redact.js';

// Git's and GitHub's words for refusals a user can act on; matched as substrings of what the remote printed.
/** GitHub's answer to a push with a token that may not write (a read-only GITHUB_TOKEN, a fine-grained token). */
export const PUSH_PERMISSION_DENIED = /Permission to \S+ denied|Write access to repository not granted/;
/** Git's line for a `--force-with-lease` that found the branch elsewhere than expected. */
export const PUSH_STALE_LEASE = '(stale info)';
/** Git's lines for a push that is not a fast-forward (the branch moved on). */
export const PUSH_NOT_FAST_FORWARD = /\((?:fetch first|non-fast-forward)\)/;
/** GitHub's branch protection and rulesets (GH006, GH013). */
export const PUSH_PROTECTED = /GH006|GH013|protected branch/i;

// Enough of git's output to show what the remote said; a hook that prints a manual is cut.
const MAX_LINES = 20;
const MAX_CHARS = 2_000;

/** Git's stderr as lines to quote: trailing padding (git pads `remote:` lines) and blank lines dropped, bounded. */
export function gitWords(stderr: string, secrets: readonly string[]): string {
  const lines = redact(stderr, secrets)
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l.trim().length > 0);
  const kept = lines.slice(0, MAX_LINES);
  let text = kept.join('\n');
  if (text.length > MAX_CHARS) text = `${text.slice(0, MAX_CHARS)} …`;
  if (lines.length > kept.length) text += `\n… (${lines.length - kept.length} more lines)`;
  return text || '(git printed nothing)';
}

/** What to do about a refused push, when git's output says why; undefined when it does not. */
export function pushHint(stderr: string, target: { branch: string; onto: 'fix-branch' | 'failing-branch' }): string | undefined {
  if (PUSH_PERMISSION_DENIED.test(stderr)) {
    return 'The remote denied the token write access: pushing needs a token with `contents: write`.';
  }
  if (PUSH_PROTECTED.test(stderr)) {
    return target.onto === 'failing-branch'
      ? `\`${target.branch}\` is protected: use 'fix-delivery: pull-request' to get the fix as a pull request instead.`
      : `A rule protects \`${target.branch}\`; allow the token to create branches matching 'fix-branch-prefix', or change the prefix.`;
  }
  if (stderr.includes(PUSH_STALE_LEASE)) {
    return `\`${target.branch}\` changed on the remote while the fix was being pushed (another run of this job?); re-run this job.`;
  }
  if (PUSH_NOT_FAST_FORWARD.test(stderr)) {
    return `\`${target.branch}\` moved on since the failing commit; re-run the fix on its new head.`;
  }
  return undefined;
}
