// The CLI's --help texts.
import { CODEX_VERSION } from '../base/codex/install.js';
import { DEFAULTS } from '../base/options.js';

const MODEL_FLAGS = `Model:
  --model NAME             the model (default: Codex's)
  --effort LEVEL           none, minimal, low, medium, high, xhigh
  --base-url URL           another Responses API endpoint or gateway (or OPENAI_BASE_URL)
  --api-style STYLE        auto, openai (Authorization: Bearer) or azure (api-key header)
  --api-version VERSION    Azure's api-version query parameter
  --codex-path PATH        a codex binary to use instead of the pinned ${CODEX_VERSION}
  --timeout-minutes N      per turn (default ${DEFAULTS.timeoutMinutes})

Credentials: OPENAI_API_KEY (or CODEX_API_KEY), kept in this process and added by a loopback proxy, never given
to the agent; else an existing Codex login (auth.json in CODEX_HOME or ~/.codex), read and never changed.`;

const MAIN = `codex-ci: the codex-ci-action engine on your machine.

Usage:
  codex-ci review [--base REF] [--head REF | --working-tree] [options]
  codex-ci review --pr NUMBER [--repo OWNER/NAME] [--post] [options]
  codex-ci fix [options] -- <test command ...>
  codex-ci --version | --help | <command> --help

Exit codes: 0 done, 1 findings at or above --fail-on (or a failed fix or run), 2 a usage or setup problem.
`;

const REVIEW = `codex-ci review: review a change with the same engine as the Action.

Usage:
  codex-ci review [--base REF] [--head REF | --working-tree] [options]
  codex-ci review --pr NUMBER [--repo OWNER/NAME] [--post] [options]

What:
  --base REF               compare with the merge base of REF (default: origin/HEAD, origin/main, origin/master,
                           main or master, the first that exists); conventions (AGENTS.md, …) and the nested
                           AGENTS.md of the changed files' folders are read from it
  --head REF               the commit to review (default HEAD)
  --working-tree           review the working tree as it is now, uncommitted and untracked files included
  --pr NUMBER              a pull request, read through the GitHub API (GITHUB_TOKEN or GH_TOKEN;
                           GITHUB_API_URL for GitHub Enterprise Server)
  --repo OWNER/NAME        the pull request's repository (default: the origin remote's)
  --post                   post the review on the pull request, exactly as the Action does
  --paths GLOB             review only matching files (repeatable; a later !GLOB excludes)
  --paths-ignore GLOB      leave matching files out (repeatable)

Output:
  -f, --format FORMAT      text (default), markdown, json (the Action's findings output) or sarif (SARIF 2.1.0)
  -o, --output FILE        write the report to FILE instead of stdout
  --min-severity LEVEL     report findings at or above LEVEL (default ${DEFAULTS.minSeverity})
  --fail-on LEVEL          exit 1 when a finding at or above LEVEL is reported
                           levels: critical, high, medium, low, info

${MODEL_FLAGS}

Progress (phase, chunks done of total, tokens) goes to stderr; stdout has only the report.
`;

const FIX = `codex-ci fix: run a test command; if it fails, let the agent fix it and run it again to verify.

Usage:
  codex-ci fix [options] -- <test command ...>

  --patch FILE             write the fix to FILE as a patch instead of leaving it in the working tree
  --max-attempts N         agent turns, each followed by a test run (1-5, default ${DEFAULTS.maxAttempts})

The command after -- runs through bash: several arguments are quoted one by one, a single one is taken as the
shell line it is ("npm test && npm run lint"). A verified fix is left uncommitted in the working tree (or only
written to --patch FILE). An unverified one is never left in the tree: it is kept as a patch under .git/codex-ci/,
and the output says where. Your own uncommitted changes stay as they are. Nothing is committed or pushed.

${MODEL_FLAGS}
`;

export function helpText(topic?: 'review' | 'fix'): string {
  return topic === 'review' ? REVIEW : topic === 'fix' ? FIX : MAIN;
}
