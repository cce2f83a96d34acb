// Units of the verification pass and the suggestion checks: verdict parsing, applying, batching test runs.
import { checkApplies, findBreaking, layers } from '../src/modes/review/check/prove-suggestions.js';
import { applyVerdicts, parseVerdicts } from '../src/modes/review/check/verify.js';
import { finding } from './support/review-fixtures.js';

describe('parseVerdicts', () => {
  const reply = (verdicts: unknown[]) => JSON.stringify({ verdicts });
  const v = (id: number, verdict = 'keep', confidence = 0.8) => ({ id, verdict, confidence, reason: ' line  one ' });

  test('one verdict per id, returned in the findings order', () => {
    expect(parseVerdicts(reply([v(2, 'drop', 0.7), v(1)]), 2)).toEqual({
      ok: true,
      verdicts: [
        { verdict: 'keep', confidence: 0.8, reason: 'line one' },
        { verdict: 'drop', confidence: 0.7, reason: 'line one' },
      ],
    });
  });

  test.each([
    ['a missing id', reply([v(1)]), 'no verdict for id 2'],
    ['an unknown id', reply([v(1), v(2), v(3)]), 'id 3 is not one of the findings (1 to 2)'],
    ['a repeated id', reply([v(1), v(1), v(2)]), 'id 1 has more than one verdict'],
    ['a confidence over 1', reply([v(1, 'keep', 1.5), v(2)]), 'verdicts[0].confidence'],
    ['not JSON', 'keep them all', 'not valid JSON'],
  ])('%s is an error the retry can quote', (_, text, problem) => {
    const parsed = parseVerdicts(text, 2);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toContain(problem);
  });
});

test('applyVerdicts keeps what survives at or above min-confidence; without verdicts everything goes on', () => {
  const findings = [finding({ path: 'a', line: 1, title: 'A' }), finding({ path: 'a', line: 2, title: 'B' }), finding({ path: 'a', line: 3, title: 'C' })];
  const verdicts = [
    { verdict: 'keep' as const, confidence: 0.6, reason: 'r1' },
    { verdict: 'drop' as const, confidence: 0.95, reason: 'r2' },
    { verdict: 'keep' as const, confidence: 0.59, reason: 'r3' },
  ];
  const split = applyVerdicts(findings, { ok: true, verdicts, attempts: 1, usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 } }, 0.6);
  expect(split.kept.map((f) => [f.title, f.verification?.confidence])).toEqual([['A', 0.6]]);
  expect(split.dropped.map((d) => d.why)).toEqual(['refuted: r2', 'confidence 0.59 is below min-confidence 0.6: r3']);
  expect(applyVerdicts(findings, undefined, 0.6)).toEqual({ kept: findings, dropped: [] });
  expect(applyVerdicts(findings, { ok: false, error: 'x', attempts: 2, usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 } }, 0.6).kept).toHaveLength(3);
});

describe('checkApplies', () => {
  const lines = ['function f(items) {', '  const total = sum(items);', '  return total / items.length;', '}', '}'];

  test('a suggestion that replaces exactly its lines applies', () => {
    expect(checkApplies(lines, 3, 3, '  return items.length ? total / items.length : 0;\n')).toEqual({
      ok: true,
      replacement: ['  return items.length ? total / items.length : 0;'],
    });
  });

  test('lines past the end of the file, or no change at all, do not apply', () => {
    expect(checkApplies(lines, 5, 6, 'x')).toMatchObject({ ok: false, why: expect.stringContaining('the file has 5 line(s)') });
    expect(checkApplies(lines, 2, 2, '  const total = sum(items);')).toMatchObject({ ok: false, why: expect.stringContaining('changes nothing') });
  });

  test('a suggestion that repeats the line before or after its range does not apply', () => {
    expect(checkApplies(lines, 3, 3, '  const total = sum(items);\n  return total / Math.max(1, items.length);')).toMatchObject({
      ok: false,
      why: expect.stringContaining('starts with line 2'),
    });
    expect(checkApplies(lines, 2, 2, '  const total = sum(items) ?? 0;\n  return total / items.length;')).toMatchObject({
      ok: false,
      why: expect.stringContaining('ends with line 3'),
    });
  });

  test('a closing brace or blank line next to the range may legitimately repeat', () => {
    expect(checkApplies(lines, 3, 4, '  return total / items.length;\n  }\n}')).toMatchObject({ ok: true });
  });
});

describe('batching test runs', () => {
  // Runs counted by a fake test runner: a set fails when it holds a broken suggestion.
  async function runsFor(n: number, broken: number[]): Promise<{ runs: number; found: number[] }> {
    let runs = 0;
    const items = Array.from({ length: n }, (_, i) => i);
    const found = await findBreaking(items, async (set) => {
      runs++;
      return !set.some((i) => broken.includes(i));
    });
    return { runs, found: [...found].sort((a, b) => a - b) };
  }

  test.each([
    [8, [], 1],
    [8, [5], 7],
    [8, [0, 7], 11],
    [1, [0], 1],
    [16, [3], 9],
  ])('%i suggestions with %j broken: found in %i run(s)', async (n, broken, runs) => {
    expect(await runsFor(n, broken)).toEqual({ runs, found: broken });
  });

  test('overlapping suggestions on one file go to different layers; other files share one', () => {
    const c = (path: string, start: number, end: number) => ({ path, start, end });
    const all = [c('a', 1, 3), c('a', 3, 4), c('b', 1, 3), c('a', 5, 5)];
    expect(layers(all)).toEqual([[c('a', 1, 3), c('b', 1, 3), c('a', 5, 5)], [c('a', 3, 4)]]);
  });
});
