// The SARIF log of a review's findings: valid against the official OASIS SARIF 2.1.0 schema, and what code scanning reads from it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Log, Result } from 'sarif';
import { selectFindings } from '../src/modes/review/deliver/compose.js';
import type { Keyed } from '../src/modes/review/keyed.js';
import { fingerprint } from '../src/modes/review/agent/findings.js';
import { SARIF_FINGERPRINT_KEY, SARIF_SCHEMA_URI, sarifLog, type SarifFinding } from '../src/modes/review/report/sarif.js';
import { finding } from './support/review-fixtures.js';
import { SCHEMA_FILE, SCHEMA_ID, SCHEMA_SHA256, sarifErrors } from './support/sarif-schema.js';

const SECRET = 'sk-test-0123456789abcdef';

const OPTS = { version: '1.4.2', informationUri: 'https://github.com/octo/codex-ci-action', secrets: [SECRET] };

/** A review's kept findings as selectFindings gives them (with the fingerprint their comments carry), one of each severity. */
function reviewFindings(): Keyed[] {
  return selectFindings(
    [
      finding({
        path: 'src/auth/session.ts',
        start_line: 40,
        line: 42,
        severity: 'critical',
        title: 'Session token is written to the log',
        body: `\`logger.info(token)\` writes \`${SECRET}\`-like tokens to the job log.\n\nLog the token's id instead.`,
        suggestion: 'logger.info({ tokenId: token.id });\n',
      }),
      finding({ path: 'src/db/migrate.ts', start_line: 10, line: 18, severity: 'high', title: 'Migration is not wrapped in a transaction' }),
      finding({ path: 'src/api/handler.ts', start_line: 5, line: 7, side: 'LEFT', severity: 'medium', title: 'Removed input validation', suggestion: 'validate(input);' }),
      finding({
        path: 'docs/guía de uso #1.md',
        line: 3,
        severity: 'low',
        title: 'Heading says `let` where the *code* uses const ⚠️',
        body: '日本語の説明: the example uses `const`.\n\n| was | is |\n| --- | --- |\n| `let` | `const` |\n\n```ts\nconst x = 1;\n```',
      }),
      finding({ path: 'README.md', line: 1, severity: 'info', title: 'Title could name the action' }),
    ],
    'info',
  );
}

const LEVELS = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

function resultsOf(log: Log): Result[] {
  return log.runs[0]!.results!;
}

test('the schema is the OASIS file, unedited, and names the 2.1.0 id and draft-07', () => {
  const bytes = readFileSync(SCHEMA_FILE);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(SCHEMA_SHA256);
  const schema = JSON.parse(bytes.toString('utf8')) as { $schema: string; $id: string };
  expect(schema).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', $id: SCHEMA_ID });
});

test("a review's findings give a log valid against the official schema: one result per finding, level by severity", () => {
  const findings = reviewFindings();
  const log = sarifLog(findings, OPTS);
  expect(sarifErrors(log)).toEqual([]);
  expect(log).toMatchObject({ $schema: SARIF_SCHEMA_URI, version: '2.1.0' });
  expect(log.runs).toHaveLength(1);
  const results = resultsOf(log);
  expect(results).toHaveLength(findings.length);
  expect(results.map((r) => r.level)).toEqual(findings.map((f) => LEVELS[f.severity]));
  expect(findings.map((f) => f.severity)).toEqual(['critical', 'high', 'medium', 'low', 'info']);
  expect(results.map((r) => r.properties?.severity)).toEqual(['critical', 'high', 'medium', 'low', 'info']);
  // A finding that rests on a rules file names it; the others carry no `rule`.
  const ruled = sarifLog([{ ...findings[0]!, rule: 'services/payments/AGENTS.md' }, findings[1]!], OPTS);
  expect(sarifErrors(ruled)).toEqual([]);
  expect(resultsOf(ruled).map((r) => r.properties?.rule)).toEqual(['services/payments/AGENTS.md', undefined]);
});

test("the driver names the tool and the version passed in, and every result's rule is in its rules at ruleIndex", () => {
  const log = sarifLog(reviewFindings(), OPTS);
  const driver = log.runs[0]!.tool.driver;
  expect(driver).toMatchObject({ name: 'codex-ci-action', version: '1.4.2', informationUri: OPTS.informationUri });
  const rules = driver.rules ?? [];
  expect(rules.length).toBeGreaterThan(0);
  for (const r of resultsOf(log)) expect(rules[r.ruleIndex!]?.id).toBe(r.ruleId);
});

test('partialFingerprints hold the fingerprint the review comments carry, the same in two calls', () => {
  const findings = reviewFindings();
  const first = sarifLog(findings, OPTS);
  const again = sarifLog(reviewFindings(), OPTS);
  const fps = resultsOf(first).map((r) => r.partialFingerprints?.[SARIF_FINGERPRINT_KEY]);
  expect(fps).toEqual(findings.map((f) => f.fp));
  expect(fps).toEqual(findings.map((f) => fingerprint(f)));
  expect(new Set(fps).size).toBe(findings.length);
  expect(again).toEqual(first);
});

test('regions: a RIGHT range is its lines, one line is start and end; a LEFT finding is its file, the message says which old lines', () => {
  const [critical, high, medium, low] = resultsOf(sarifLog(reviewFindings(), OPTS));
  expect(critical!.locations![0]!.physicalLocation!.region).toEqual({ startLine: 40, endLine: 42 });
  expect(high!.locations![0]!.physicalLocation!.region).toEqual({ startLine: 10, endLine: 18 });
  expect(low!.locations![0]!.physicalLocation!.region).toEqual({ startLine: 3, endLine: 3 });
  const left = medium!.locations![0]!;
  expect(left.physicalLocation).toEqual({ artifactLocation: { uri: 'src/api/handler.ts', uriBaseId: '%SRCROOT%' } });
  expect(left.message?.text).toContain('lines 5–7 of the old version');
  expect(medium!.message.text).toContain('On lines 5–7 of the old version of the file, removed by this change.');
});

test('URIs are relative to the repository root and percent-encoded; messages carry title and body, Markdown and unicode kept', () => {
  const [critical, , , low] = resultsOf(sarifLog(reviewFindings(), OPTS));
  const artifact = low!.locations![0]!.physicalLocation!.artifactLocation!;
  expect(artifact).toEqual({ uri: 'docs/gu%C3%ADa%20de%20uso%20%231.md', uriBaseId: '%SRCROOT%' });
  expect(decodeURIComponent(artifact.uri!)).toBe('docs/guía de uso #1.md');
  expect(low!.message.text!.split('\n')[0]).toBe('[low] Heading says `let` where the *code* uses const ⚠️');
  expect(low!.message.text).toContain('日本語の説明');
  expect(low!.message.markdown).toContain('**Heading says \\`let\\` where the \\*code\\* uses const ⚠️** (low)');
  expect(low!.message.markdown).toContain('```ts\nconst x = 1;\n```');
  // The run's secrets are redacted, as in every other output.
  expect(JSON.stringify(critical)).not.toContain(SECRET);
  expect(critical!.message.text).toContain('`***`-like tokens');
});

test('a committable RIGHT suggestion is a fix replacing its lines; a LEFT one or one its check refused is not', () => {
  const findings = reviewFindings();
  const [critical, , medium] = resultsOf(sarifLog(findings, OPTS));
  expect(critical!.fixes).toEqual([
    {
      description: { text: 'The change the review suggests.' },
      artifactChanges: [
        {
          artifactLocation: { uri: 'src/auth/session.ts', uriBaseId: '%SRCROOT%' },
          replacements: [{ deletedRegion: { startLine: 40, endLine: 42 }, insertedContent: { text: 'logger.info({ tokenId: token.id });' } }],
        },
      ],
    },
  ]);
  expect(medium!.fixes).toBeUndefined();
  const refused: SarifFinding = { ...findings[0]!, proof: { status: 'breaks-tests', note: 'npm test fails with it' } };
  const proven: SarifFinding = { ...findings[0]!, proof: { status: 'proven', note: 'npm test passes with it' } };
  const checked = sarifLog([refused, proven], OPTS);
  expect(sarifErrors(checked)).toEqual([]);
  const [noFix, fix] = resultsOf(checked);
  expect(noFix!.fixes).toBeUndefined();
  expect(fix!.fixes).toHaveLength(1);
});

test('no findings is still a valid log: one run, its tool, results []', () => {
  const log = sarifLog([], { version: '0.1.0', secrets: [] });
  expect(sarifErrors(log)).toEqual([]);
  expect(log.runs[0]!.results).toEqual([]);
  expect(log.runs[0]!.tool.driver).not.toHaveProperty('informationUri');
});

test('the validator rejects a broken log, so the schema checks above cannot pass vacuously', () => {
  const good = sarifLog(reviewFindings(), OPTS);
  const broken = (edit: (log: Log) => void) => {
    const log = JSON.parse(JSON.stringify(good)) as Log;
    edit(log);
    return sarifErrors(log);
  };
  expect(broken((log) => ((resultsOf(log)[0] as { level: string }).level = 'fatal'))).toContain('/runs/0/results/0/level must be equal to one of the allowed values');
  expect(broken((log) => (resultsOf(log)[1]!.locations![0]!.physicalLocation!.region!.startLine = 0))).toContain(
    '/runs/0/results/1/locations/0/physicalLocation/region/startLine must be >= 1',
  );
  expect(broken((log) => (log.runs[0]!.tool.driver.informationUri = 'not a uri'))).toContain('/runs/0/tool/driver/informationUri must match format "uri"');
  expect(broken((log) => delete (log as Partial<Log>).version)).toContain(" must have required property 'version'");
});
