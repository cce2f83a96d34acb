// Log excerpting: what a reader needs from a failed job's log, within a size bound.
import { buildLogExcerpt, cleanLogLine, excerptJobLog, LineSplitter } from '../src/modes/fix/log-excerpt.js';
import { containsSecret, redact, secretForms, StreamRedactor } from '../src/base/text/redact.js';
import { BIG_LOG_ASSERTION, bigJobLog } from './support/big-log.js';
import { tailText } from '../src/base/text/bounds.js';

const ts = (i: number) => `2024-05-01T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.1234567Z `;
const log = (lines: string[]) => lines.map((l, i) => `${ts(i)}${l}`).join('\n');

// A jest run: a checkout step full of noise, then 400 passing lines, a failure with a stack trace in the middle,
// 300 more passing lines, the summary, and the runner's error.
function jestLog(): string {
  return log([
    '##[group]Run actions/checkout@v4',
    ...Array.from({ length: 200 }, (_, i) => `checkout noise ${i}`),
    '##[endgroup]',
    '##[group]Run npm test',
    '\u001b[36;1mnpm test\u001b[0m',
    'shell: /usr/bin/bash -e {0}',
    '##[endgroup]',
    ...Array.from({ length: 400 }, (_, i) => `  ✓ passing test number ${i} (3 ms)`),
    '  ● math › adds numbers',
    '    expect(received).toBe(expected)',
    '    Expected: 5',
    '    Received: -1',
    '      at Object.<anonymous> (test/math.test.ts:12:21)',
    '      at Promise.then.completed (node_modules/jest-circus/build/utils.js:298:28)',
    ...Array.from({ length: 300 }, (_, i) => `  ✓ later passing test ${i} (2 ms)`),
    'Tests:       1 failed, 700 passed, 701 total',
    '##[error]Process completed with exit code 1.',
    'Post job cleanup.',
  ]);
}

test('cleanLogLine drops the runner timestamp and color codes', () => {
  expect(cleanLogLine('2024-05-01T10:00:05.0100000Z \u001b[36;1mnpm test\u001b[0m')).toBe('npm test');
  expect(cleanLogLine('no timestamp here')).toBe('no timestamp here');
});

test('the excerpt keeps the failed step: command, failure with its stack trace, end, and error lines', () => {
  const excerpt = excerptJobLog(jestLog(), 8_000);
  expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(8_000);
  expect(excerpt).toContain('##[group]Run npm test');
  expect(excerpt).toContain('npm test');
  expect(excerpt).toContain('● math › adds numbers');
  expect(excerpt).toContain('Received: -1');
  expect(excerpt).toContain('at Object.<anonymous> (test/math.test.ts:12:21)');
  expect(excerpt).toContain('Tests:       1 failed, 700 passed, 701 total');
  expect(excerpt).toContain('##[error]Process completed with exit code 1.');
  // Other steps' noise and the bulk of passing tests are left out, and the gaps are marked.
  expect(excerpt).not.toContain('checkout noise');
  expect(excerpt).not.toContain('passing test number 100 ');
  expect(excerpt).toMatch(/… \(\d+ lines? omitted\)/);
  expect(excerpt).not.toMatch(/\d{4}-\d\d-\d\dT/);
  // Lines stay in their original order.
  expect(excerpt.indexOf('Run npm test')).toBeLessThan(excerpt.indexOf('adds numbers'));
  expect(excerpt.indexOf('adds numbers')).toBeLessThan(excerpt.indexOf('exit code 1'));
});

test('a small budget keeps the error lines first', () => {
  const excerpt = excerptJobLog(jestLog(), 600);
  expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(600);
  expect(excerpt).toContain('##[error]Process completed with exit code 1.');
  expect(excerpt).toContain('##[group]Run npm test');
});

test('a huge log is cut to the bound', () => {
  const lines = Array.from({ length: 200_000 }, (_, i) => `line ${i} ${'x'.repeat(80)}`);
  lines.push('##[error]boom at the end');
  const excerpt = excerptJobLog(lines.join('\n'), 20_000);
  expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(20_000);
  expect(excerpt).toContain('##[error]boom at the end');
  expect(excerpt).toContain('line 199999');
});

test('very long lines are cut', () => {
  const excerpt = excerptJobLog(`##[error]${'y'.repeat(5_000)}`, 20_000);
  expect(excerpt.length).toBeLessThan(600);
  expect(excerpt).toContain('(line cut)');
});

test('a log without steps or errors yields its end', () => {
  const text = Array.from({ length: 1000 }, (_, i) => `plain ${i}`).join('\n');
  const excerpt = excerptJobLog(text, 20_000);
  expect(excerpt).toContain('plain 999');
  expect(excerpt).toContain('plain 0');
  expect(excerpt).not.toContain('plain 500');
});

test('several jobs share the bound; beyond five they are only named', () => {
  const jobs = Array.from({ length: 7 }, (_, i) => ({ name: `job ${i}`, failedStep: 'Run npm test', log: jestLog() }));
  const excerpt = buildLogExcerpt(jobs, 20_000);
  expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(20_000);
  for (let i = 0; i < 5; i++) expect(excerpt).toContain(`### Job "job ${i}", failed step "Run npm test"`);
  expect(excerpt).toContain('2 more failed jobs not excerpted: job 5, job 6');
  expect(excerpt.split('##[error]Process completed').length - 1).toBe(5);
});

test('tailText keeps whole lines from the end', () => {
  const text = Array.from({ length: 100 }, (_, i) => `row ${i}`).join('\n');
  const tail = tailText(text, 50);
  expect(tail.startsWith('… (earlier output omitted)\n')).toBe(true);
  expect(tail.endsWith('row 99')).toBe(true);
  expect(tail.split('\n')[1]).toMatch(/^row \d+$/);
  expect(tailText('short\n\n', 50)).toBe('short');
});

test('a cut excerpt is within its bound in bytes, marker included (… is three bytes)', () => {
  // Per-job excerpts of at least 500 bytes for five jobs overflow a 1,000-byte bound, so the whole is cut.
  const jobs = Array.from({ length: 5 }, (_, i) => ({ name: `job ${i}`, log: jestLog() }));
  for (const max of [1_000, 1_001, 1_002, 1_003]) {
    const excerpt = buildLogExcerpt(jobs, max);
    expect(excerpt.endsWith('\n… (excerpt cut to its size limit)')).toBe(true);
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(max);
    expect(Buffer.byteLength(excerpt)).toBeGreaterThan(max - 4);
    expect(excerpt).not.toContain('\uFFFD');
  }
  // Multi-byte text cut anywhere: still within the bound, and no half characters.
  const wide = [{ name: 'é', log: Array.from({ length: 400 }, (_, i) => `##[error]échec ✗ numéro ${i}`).join('\n') }];
  for (const max of [1_000, 1_001, 1_002]) {
    const excerpt = buildLogExcerpt(wide, max);
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(max);
    expect(excerpt).not.toContain('\uFFFD');
  }
});

test('tailText is within its bound in bytes, marker included, and starts on a whole character', () => {
  const text = Array.from({ length: 200 }, (_, i) => `ligne n° ${i} ✓`).join('\n');
  for (const max of [100, 101, 102, 103]) {
    const tail = tailText(text, max);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(max);
    expect(tail).not.toContain('\uFFFD');
    expect(tail.endsWith('ligne n° 199 ✓')).toBe(true);
  }
});

test("passing tests' lines that mention errors do not crowd out the failing assertion", () => {
  // Thousands of "✓ returns an error for …" lines before the failure, which sits far from the end of the step.
  const excerpt = excerptJobLog(bigJobLog({ bytes: 2_000_000 }), 20_000);
  expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(20_000);
  expect(excerpt).toContain(BIG_LOG_ASSERTION);
  expect(excerpt).toContain('at Object.<anonymous> (test/math.test.ts:12:21)');
  expect(excerpt).toContain('##[error]Process completed with exit code 1.');
  // At most the one right after the step's command (the step's first lines are kept as such).
  expect(excerpt.match(/returns an error for bad input/g)?.length ?? 0).toBeLessThanOrEqual(1);
});

test('lines split across pieces come out whole, CRLF or not, and a giant line is held only in part', () => {
  const text = `one\r\ntwo\n${'z'.repeat(100_000)}\nthree\n\nfour`;
  for (const size of [1, 2, 3, 7, 4096]) {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    for (let i = 0; i < text.length; i += size) splitter.push(text.slice(i, i + size));
    splitter.end();
    expect(lines.length).toBe(6);
    expect([lines[0], lines[1], lines[3], lines[4], lines[5]]).toEqual(['one', 'two', 'three', '', 'four']);
    expect(lines[2]!.length).toBeLessThan(10_000);
    expect(lines[2]!.startsWith('zzz')).toBe(true);
  }
});

describe('redaction', () => {
  const secrets = ['ghs_0123456789abcdefABCDEF', 'sk-test-key-abcdef0123456789'];
  const forms = secretForms(secrets);
  const text = `start ${forms.map((f, i) => `form ${i}: ${f};`).join(' ')} ${secrets[0]}${secrets[1]} end`;

  it('replaces every form of every secret in one pass', () => {
    const out = redact(text, secrets);
    for (const form of forms) expect(out).not.toContain(form);
    expect(out).toBe(`start ${forms.map((_, i) => `form ${i}: ***;`).join(' ')} ****** end`);
    expect(containsSecret(text, secrets)).toBe(true);
    expect(containsSecret(out, secrets)).toBe(false);
    // The shared pattern keeps no state between calls.
    expect(containsSecret(text, secrets)).toBe(true);
  });

  it('redacts a stream the same, wherever the pieces are cut', () => {
    for (let size = 1; size <= 64; size++) {
      const redactor = new StreamRedactor(secrets);
      let out = '';
      for (let i = 0; i < text.length; i += size) out += redactor.push(text.slice(i, i + size));
      out += redactor.end();
      expect(out).toBe(redact(text, secrets));
    }
  });

  it('leaves text alone when there are no secrets', () => {
    const redactor = new StreamRedactor([]);
    expect(redactor.push('abc') + redactor.end()).toBe('abc');
    expect(redact('abc', [])).toBe('abc');
  });
});
