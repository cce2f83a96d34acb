// The review's findings as a SARIF 2.1.0 log for GitHub code scanning (upload-sarif): data in, an object out, no I/O.
import type { ArtifactLocation, Fix, Location, Log, ReportingDescriptor, Result } from 'sarif';
import type { Severity } from '../../../base/options.js';
import { redact } from '../../../base/text/redact.js';
import { fingerprint, type Finding } from '../agent/findings.js';
import type { SuggestionProof } from '../keyed.js';
import { isCommittable } from '../deliver/verdict-text.js';
import { TOOL_NAME } from '../../../base/version.js';

/** The OASIS schema of SARIF 2.1.0 the log names (test/sarif.test.ts validates against a copy of it). */
export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json';

/**
 * The partialFingerprints key that carries a finding's fingerprint (findings.fingerprint: path, line, normalised
 * title), the same id the review's comment markers carry, so code scanning follows a finding across runs as the
 * review's re-runs do. A key of our own: GitHub computes `primaryLocationLineHash` itself from the file, and a value
 * of ours under its key would be compared with its hashes. "/v1": if the fingerprint's recipe changes, so does the
 * key, and old and new values are never compared as if they were one kind.
 */
export const SARIF_FINGERPRINT_KEY = 'codexFinding/v1';

/**
 * One rule for every finding, not one per severity: GitHub requires a result's ruleId to stay the same across
 * analyses to match it with the alert of an earlier run, and a model may rate the same problem high in one run and
 * critical in the next. The severity lives in each result's `level` (and `properties.severity`). The findings have no
 * category of their own to make rules of (that would be a guess), so one rule describes them all honestly.
 */
export const SARIF_RULE: ReportingDescriptor = {
  id: 'codex-review',
  name: 'CodexReviewFinding',
  shortDescription: { text: 'Codex review finding' },
  fullDescription: {
    text: 'A problem a Codex review of a pull request found in the changed code: what is wrong, why it matters and how to fix it.',
  },
  help: {
    text: 'Reported by a language model reviewing the diff. Check the reasoning against the code; dismiss the alert as a false positive when it is wrong.',
    markdown:
      'Reported by a **language model** reviewing the diff of a pull request. Check the reasoning against the code; ' +
      'dismiss the alert as a false positive when it is wrong. The same finding is posted as a review comment on the pull request.',
  },
  // Results always carry their own level; this is only what a viewer shows for the rule itself.
  defaultConfiguration: { level: 'warning' },
  properties: { tags: ['code-review', 'codex'] },
};

/**
 * SARIF's levels read against the prompt's severities: error ("a serious problem") for critical and high, what must
 * not merge as is; warning ("a problem") for medium, a bug in edge cases; note ("a minor problem or an opportunity to
 * improve") for low (minor or maintainability) and info (worth knowing). `none` would fit info best, but it is for
 * results whose `kind` is not a failure, and code scanning filters on error/warning/note. Unlike the workflow
 * annotations (report.annotate: low is a warning there, as annotations have no level for minor problems), SARIF has
 * a level that says exactly what low means. Critical and high share `error`; `properties.severity` keeps them apart.
 */
export const SARIF_LEVEL: Record<Severity, NonNullable<Result['level']>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** A finding as the review holds it (compose.Keyed fits): the schema's fields, and how its suggestion was checked. */
export type SarifFinding = Finding & { proof?: SuggestionProof };

export interface SarifOptions {
  /** tool.driver.version: the version of the action (or CLI) that reviewed. */
  version: string;
  /** tool.driver.informationUri: where the tool is documented; an absolute URI. Left out when not given. */
  informationUri?: string;
  /** The run's secrets: kept out of every text of the log, as out of the `findings` output. */
  secrets: readonly string[];
}

/**
 * The SARIF log of `findings`: one run, one result per finding in the order given (the report's, most severe
 * first). No timestamps or other run-specific data, so the same findings give the same log. Zero findings give a run
 * with `results: []`: code scanning then closes the alerts of earlier runs instead of leaving them open.
 */
export function sarifLog(findings: readonly SarifFinding[], opts: SarifOptions): Log {
  const driver = {
    name: TOOL_NAME,
    version: opts.version,
    ...(opts.informationUri === undefined ? {} : { informationUri: opts.informationUri }),
    rules: [SARIF_RULE],
  };
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [{ tool: { driver }, results: findings.map((f) => result(f, opts.secrets)) }] };
}

function result(f: SarifFinding, secrets: readonly string[]): Result {
  // The title as one line, as the annotations show it: the message's first line is what an alert is titled by.
  const title = redact(f.title.replace(/\s+/g, ' ').trim(), secrets);
  const body = redact(f.body.trim(), secrets);
  const where = f.side === 'LEFT' ? `On ${lines(f)} of the old version of the file, removed by this change.` : '';
  const parts = (head: string) => [head, where, body].filter((p) => p !== '').join('\n\n');
  const out: Result = {
    ruleId: SARIF_RULE.id,
    ruleIndex: 0,
    level: SARIF_LEVEL[f.severity],
    // Plain text for every viewer; the body is Markdown, so `markdown` carries it too (SARIF asks for text beside it).
    message: { text: parts(`[${f.severity}] ${title}`), markdown: parts(`**${markdownEscape(title)}** (${f.severity})`) },
    locations: [location(f)],
    partialFingerprints: { [SARIF_FINGERPRINT_KEY]: fingerprint(f) },
    // `rule`: the base branch's rules file (a nested AGENTS.md, a conventions file) the finding rests on.
    properties: { severity: f.severity, side: f.side, ...(f.rule ? { rule: f.rule } : {}) },
  };
  const fix = suggestionFix(f, secrets);
  if (fix) out.fixes = [fix];
  return out;
}

/** e.g. "line 12" or "lines 10–14". */
function lines(f: Finding): string {
  return f.start_line !== null && f.start_line < f.line ? `lines ${f.start_line}–${f.line}` : `line ${f.line}`;
}

/**
 * RIGHT: the lines of the head's file. LEFT: the numbers are lines of the base's file that this change removed; they
 * do not exist in the head's file, the one code scanning shows (and hashes for its own fingerprints). A region there
 * would point at whatever code now has that number, so the location is the file without a region (SARIF allows it),
 * and the message and the location's own message say which old lines the finding is about.
 */
function location(f: Finding): Location {
  if (f.side === 'LEFT') {
    return { physicalLocation: { artifactLocation: artifact(f.path) }, message: { text: `${lines(f)} of the old version (removed)` } };
  }
  return { physicalLocation: { artifactLocation: artifact(f.path), region: { startLine: f.start_line ?? f.line, endLine: f.line } } };
}

/**
 * The path relative to the repository root, which upload-sarif resolves %SRCROOT% to. A URI reference, not a path:
 * each segment is percent-encoded, so a space, '#', '%' or non-ASCII character in a file name stays part of it.
 */
function artifact(path: string): ArtifactLocation {
  return { uri: path.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

/**
 * The suggestion as a SARIF fix, when the review offers it as committable (RIGHT side, not refused by its check:
 * verdict-text.isCommittable). A region of whole lines (no columns) ends before the last line's newline, so the
 * suggestion replaces those lines' text and the newline after it stays: the suggestion goes in without its own.
 */
function suggestionFix(f: SarifFinding, secrets: readonly string[]): Fix | undefined {
  if (f.side !== 'RIGHT' || f.suggestion === null || !isCommittable(f.proof)) return undefined;
  return {
    description: { text: 'The change the review suggests.' },
    artifactChanges: [
      {
        artifactLocation: artifact(f.path),
        replacements: [
          { deletedRegion: { startLine: f.start_line ?? f.line, endLine: f.line }, insertedContent: { text: redact(f.suggestion.replace(/\r?\n$/, ''), secrets) } },
        ],
      },
    ],
  };
}

/** A title inside ** … **: Markdown's emphasis and code characters in it are shown as typed. */
function markdownEscape(text: string): string {
  return text.replace(/[\\`*_[\]<>]/g, '\\$&');
}
