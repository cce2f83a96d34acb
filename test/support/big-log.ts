// A failed job's log of any size, as a jest run prints it: thousands of passing lines (some mentioning errors), one
// failing assertion far from the end, more passing lines, the summary and the runner's error.

/** The failing assertion's line: an excerpt that holds it shows the model what failed. */
export const BIG_LOG_ASSERTION = 'Expected: 5, Received: -1 [assertion QX-50]';

/** About `bytes` of log; `secret`, when given, is printed every `secretEvery` lines (as a careless script would). */
export function bigJobLog(options: { bytes: number; secret?: string; secretEvery?: number }): string {
  const stamp = '2024-05-01T10:00:05.1234567Z ';
  const head = [
    '##[group]Run actions/checkout@v4',
    ...Array.from({ length: 20 }, (_, i) => `checkout noise ${i}`),
    '##[endgroup]',
    '##[group]Run npm test',
    'npm test',
    '##[endgroup]',
  ];
  const failure = [
    '  ● math › adds numbers',
    '    expect(received).toBe(expected)',
    `    ${BIG_LOG_ASSERTION}`,
    '      at Object.<anonymous> (test/math.test.ts:12:21)',
  ];
  // The failure is this many lines before the end: beyond the few last lines an excerpt keeps anyway.
  const after = Array.from({ length: 2_000 }, (_, i) => `  ✓ later passing test ${i} (2 ms)`);
  const tail = ['Tests:       1 failed, 99999 passed, 100000 total', '##[error]Process completed with exit code 1.', 'Post job cleanup.'];
  const fixed = [...head, ...failure, ...after, ...tail].reduce((n, l) => n + stamp.length + l.length + 1, 0);
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < options.bytes - fixed; i++) {
    const line =
      options.secret && options.secretEvery && i % options.secretEvery === 0
        ? `  debug: calling the API with token ${options.secret} (request ${i})`
        : i % 7 === 0
          ? `  ✓ module ${i % 500} › returns an error for bad input ${i} (3 ms)`
          : `  ✓ module ${i % 500} › handles case ${i} (1 ms)`;
    lines.push(line);
    size += stamp.length + Buffer.byteLength(line) + 1;
  }
  return [...head, ...lines, ...failure, ...after, ...tail].map((l) => `${stamp}${l}`).join('\n') + '\n';
}
