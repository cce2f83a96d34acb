// Which of the repository's files a failure's output names (fix mode's pointedFiles).
import { MAX_POINTED_FILES, pointedFiles } from '../src/modes/fix/pointed-files.js';

const FILES = new Set(['src/add.js', 'src/lib/math.ts', 'pkg/src/b.py', 'index.ts', 'test.js']);

test('finds files named as written, with line numbers, in stacks with absolute paths, under the working folder', () => {
  const log = [
    'FAIL src/add.js:12:5',
    '    at Object.<anonymous> (/home/runner/work/demo/demo/src/lib/math.ts:3:9)',
    'src\\lib\\math.ts(4,2): error TS2322',
    'File "./src/b.py", line 3, in <module>',
    'node_modules/jest/index.js: not ours; Object.keys is not a file; 1.2.3 neither',
  ].join('\n');
  expect(pointedFiles(log, FILES)).toEqual(['src/add.js', 'src/lib/math.ts']);
  // From a runner started in pkg/, "src/b.py" is pkg/src/b.py.
  expect(pointedFiles(log, FILES, 'pkg/')).toEqual(['src/add.js', 'src/lib/math.ts', 'pkg/src/b.py']);
  expect(pointedFiles('ran node test.js.', FILES)).toEqual(['test.js']);
  expect(pointedFiles('nothing here', FILES)).toEqual([]);
});

test('stops at MAX_POINTED_FILES files', () => {
  const many = Array.from({ length: 50 }, (_, i) => `f${i}.ts`);
  expect(pointedFiles(many.join('\n'), new Set(many))).toEqual(many.slice(0, MAX_POINTED_FILES));
});
