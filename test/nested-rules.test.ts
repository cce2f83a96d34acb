// The nested rules' pure parts (which AGENTS.md applies to a path, the bounds, the chunker's groups, a finding's
// `rule`) and their reading through real git.
import { chunkFiles } from '../src/modes/review/gather/chunks.js';
import { parsePatch, type FileDiff } from '../src/modes/review/gather/diff.js';
import { parseChunkReview } from '../src/modes/review/agent/findings.js';
import { commentBody } from '../src/modes/review/deliver/compose.js';
import { Git } from '../src/base/git.js';
import {
  cutUtf8,
  indexRules,
  ruleKey,
  rulesFor,
  rulesOn,
  rulesOnAny,
  RULE_FILE_MAX_BYTES,
  RULES_TOTAL_MAX_BYTES,
  type RuleText,
  type TreeFile,
} from '../src/base/rules/nested-rules.js';
import { MAX_RULE_FILES, RuleReader } from '../src/base/rules/rule-reader.js';
import { gitRuleTree, type RuleTree } from '../src/base/rules/rule-tree.js';
import { ruleBlocks } from '../src/base/rules/render-rules.js';
import { rulesReport, rulesSummary } from '../src/modes/review/report/rules-report.js';
import { createRepo } from './support/git-repo.js';
import { finding } from './support/review-fixtures.js';

const file = (path: string, size = 10): TreeFile => ({ path, sha: `sha-of-${path}`, size });

describe('which AGENTS.md apply to a path', () => {
  const index = indexRules(
    [
      'AGENTS.md',
      'services/AGENTS.md',
      'services/payments/AGENTS.md',
      'services/payments/AGENTS.override.md',
      'services/payments/api.ts',
      'web/AGENTS.md',
      'web-admin/AGENTS.md',
      'docs/agents.md',
    ].map((p) => file(p)),
  );

  it('is one file per folder, AGENTS.override.md in place of AGENTS.md, whichever comes first in the listing', () => {
    expect([...index.keys()].sort()).toEqual(['', 'services', 'services/payments', 'web', 'web-admin']);
    expect(index.get('services/payments')!.path).toBe('services/payments/AGENTS.override.md');
    const reversed = indexRules(['x/AGENTS.override.md', 'x/AGENTS.md'].map((p) => file(p)));
    expect(reversed.get('x')!.path).toBe('x/AGENTS.override.md');
  });

  it('runs from the root down to the file, the root itself left to the conventions', () => {
    expect(rulesOn('services/payments/api.ts', index).map((r) => r.path)).toEqual(['services/AGENTS.md', 'services/payments/AGENTS.override.md']);
    expect(rulesOn('services/payments/deep/x.ts', index).map((r) => r.folder)).toEqual(['services', 'services/payments']);
    expect(rulesOn('web/app.ts', index).map((r) => r.path)).toEqual(['web/AGENTS.md']);
    // A folder whose name starts like another's is not under it.
    expect(rulesOn('web-admin/app.ts', index).map((r) => r.path)).toEqual(['web-admin/AGENTS.md']);
    expect(rulesOn('README.md', index)).toEqual([]);
    expect(ruleKey('services/payments/a.ts', index)).toBe(ruleKey('services/payments/b.ts', index));
    expect(ruleKey('services/payments/a.ts', index)).not.toBe(ruleKey('services/b.ts', index));
  });

  it('puts a folder before its subfolders when several files share a prompt', () => {
    const order = rulesOnAny(['web/app.ts', 'services/payments/api.ts', 'services/x.ts'], index).map((r) => r.path);
    expect(order).toEqual(['services/AGENTS.md', 'services/payments/AGENTS.override.md', 'web/AGENTS.md']);
  });
});

describe('the bounds of what a prompt shows', () => {
  const text = (path: string, body: string, bytes = Buffer.byteLength(body)): RuleText => ({ file: { ...file(path, bytes), folder: path.slice(0, path.lastIndexOf('/')) }, text: body, bytes, cut: bytes > Buffer.byteLength(body) });

  it('cuts the file that passes the total bound and leaves out the ones after it, root side first; a blank file says nothing', () => {
    const index = indexRules(['a/AGENTS.md', 'a/b/AGENTS.md', 'a/b/c/AGENTS.md', 'a/b/c/d/AGENTS.md'].map((p) => file(p)));
    const texts = new Map([
      ['a/AGENTS.md', text('a/AGENTS.md', 'A'.repeat(RULE_FILE_MAX_BYTES))],
      ['a/b/AGENTS.md', text('a/b/AGENTS.md', '   \n')],
      ['a/b/c/AGENTS.md', text('a/b/c/AGENTS.md', 'C'.repeat(RULE_FILE_MAX_BYTES), 1_000_000)],
      ['a/b/c/d/AGENTS.md', text('a/b/c/d/AGENTS.md', 'D'.repeat(100))],
    ]);
    const shown = rulesFor(['a/b/c/d/x.ts'], index, texts);
    expect(shown.shown.map((r) => r.file.path)).toEqual(['a/AGENTS.md', 'a/b/c/AGENTS.md']);
    expect(shown.shown.reduce((n, r) => n + Buffer.byteLength(r.text), 0)).toBe(RULES_TOTAL_MAX_BYTES);
    expect(shown.shown[1]!.cut).toBe(true);
    expect(shown.leftOut.map((f) => f.path)).toEqual(['a/b/c/d/AGENTS.md']);
    const blocks = ruleBlocks(shown);
    expect(blocks).toContain('### a/b/c/AGENTS.md (for `a/b/c/`), cut short: the first 32 KiB of its 976.6 KiB');
    expect(blocks).toContain('not shown (the nested rules of one prompt are bounded at 64 KiB together): `a/b/c/d/AGENTS.md`');
  });

  it('never splits a character when it cuts', () => {
    expect(cutUtf8(Buffer.from('aé'), 2)).toBe('a');
    expect(cutUtf8(Buffer.from('a€b'), 4)).toBe('a€');
    expect(cutUtf8(Buffer.from('abc'), 5)).toBe('abc');
  });
});

describe('reading through a RuleTree', () => {
  // Counts what the reader asks for: each listing and each read is a GitHub request in production.
  const counting = (files: TreeFile[], complete = true) => {
    const calls = { listAll: 0, listIn: [] as string[], read: [] as string[] };
    const tree: RuleTree = {
      listAll: async () => (calls.listAll++, { files: complete ? files : files.slice(0, 1), complete }),
      listIn: async (_ref, folders) => (calls.listIn.push(...folders), files.filter((f) => folders.includes(f.path.slice(0, f.path.lastIndexOf('/'))))),
      read: async (f) => (calls.read.push(f.path), { text: `rules of ${f.path}`, bytes: f.size }),
    };
    return { tree, calls };
  };

  it('lists a commit once and reads each file once, however many times it is asked', async () => {
    const { tree, calls } = counting(['AGENTS.md', 'a/AGENTS.md', 'a/b/AGENTS.md', 'c/AGENTS.md'].map((p) => file(p)));
    const reader = new RuleReader(tree);
    const found = await reader.find('base', ['a/b/x.ts']);
    await reader.find('base', ['c/y.ts']);
    const first = await reader.readFor(['a/b/x.ts'], found.index);
    await reader.readFor(['a/b/x.ts', 'a/z.ts'], found.index);
    expect(calls.listAll).toBe(1);
    expect(calls.read).toEqual(['a/AGENTS.md', 'a/b/AGENTS.md']);
    expect([...first.keys()]).toEqual(['a/AGENTS.md', 'a/b/AGENTS.md']);
  });

  it('reads at most MAX_RULE_FILES files, those that apply to the most paths first', async () => {
    const folders = Array.from({ length: MAX_RULE_FILES + 5 }, (_, i) => `pkg-${String(i).padStart(3, '0')}`);
    const { tree, calls } = counting(folders.map((f) => file(`${f}/AGENTS.md`)));
    const reader = new RuleReader(tree);
    // The last folder has three changed files, every other one.
    const paths = [...folders.map((f) => `${f}/x.ts`), `${folders.at(-1)}/y.ts`, `${folders.at(-1)}/z.ts`];
    const found = await reader.find('base', paths);
    const texts = await reader.readFor(paths, found.index);
    expect(calls.read).toHaveLength(MAX_RULE_FILES);
    expect(calls.read[0]).toBe(`${folders.at(-1)}/AGENTS.md`);
    const shown = rulesFor(paths, found.index, texts);
    expect(shown.unread).toHaveLength(5);
    expect(ruleBlocks(shown)).toContain(`not read (at most ${MAX_RULE_FILES} rules files are read per pull request)`);
  });

  it('looks in the changed files\' folders one by one when the listing was cut short, and says so', async () => {
    const { tree, calls } = counting(['AGENTS.md', 'a/AGENTS.md', 'a/b/AGENTS.md', 'c/AGENTS.md'].map((p) => file(p)), false);
    const found = await new RuleReader(tree).find('base', ['a/b/x.ts', 'a/y.ts']);
    expect(calls.listIn).toEqual(['a', 'a/b']);
    expect([...found.index.keys()].sort()).toEqual(['a', 'a/b']);
    expect(found.notes[0]).toMatch(/cut short .* looked for in the 2 folder\(s\) of the changed files one by one\.$/);
  });

  it('reads a commit with git: the commit\'s files, not the working tree\'s', async () => {
    const repo = await createRepo({ 'AGENTS.md': 'root', 'svc/AGENTS.md': 'SVC-BASE', 'svc/AGENTS.override.md': 'SVC-OVERRIDE', 'svc/a.ts': '', 'link/a.ts': '' });
    try {
      const base = repo.headSha;
      const { writeFile, symlink } = await import('node:fs/promises');
      await writeFile(`${repo.dir}/svc/AGENTS.override.md`, 'HEAD-OVERRIDE');
      await symlink('../svc/AGENTS.override.md', `${repo.dir}/link/AGENTS.md`);
      await repo.git('add', '--all');
      await repo.git('commit', '-qm', 'head');
      const tree = gitRuleTree(new Git(repo.dir));
      const reader = new RuleReader(tree);
      const found = await reader.find(base, ['svc/a.ts', 'link/a.ts']);
      const texts = await reader.readFor(['svc/a.ts'], found.index);
      expect(texts.get('svc/AGENTS.override.md')!.text).toBe('SVC-OVERRIDE');
      // At the head, a symlink is not a rules file (Codex would follow it; a tree only holds its target's name).
      const head = await reader.find('HEAD', ['link/a.ts']);
      expect(head.index.has('link')).toBe(false);
      expect((await tree.listIn(base, ['svc'])).map((f) => f.path).sort()).toEqual(['svc/AGENTS.md', 'svc/AGENTS.override.md', 'svc/a.ts']);
      expect(await tree.listAll('0000000000000000000000000000000000000000')).toBeUndefined();
    } finally {
      await repo.cleanup();
    }
  });
});

describe('chunks and nested rules', () => {
  const added = (path: string, n = 20): FileDiff => ({
    path,
    status: 'added',
    hunks: parsePatch([`@@ -0,0 +1,${n} @@`, ...Array.from({ length: n }, (_, i) => `+const v${i} = ${i}; // ${'x'.repeat(30)}`)].join('\n')),
  });

  it('keeps files under the same rules together where the budget allows, in the order of their first file', () => {
    const files = [added('web/a.ts'), added('pay/a.ts'), added('web/b.ts'), added('pay/b.ts')];
    const group = (p: string) => p.split('/')[0]!;
    const one = chunkFiles([files[0]!], 100_000)[0]!.tokens;
    // Room for two files and a half: each group of two fills one chunk.
    const chunks = chunkFiles(files, Math.floor(one * 2.5), group);
    expect(chunks.map((c) => c.paths)).toEqual([['web/a.ts', 'web/b.ts'], ['pay/a.ts', 'pay/b.ts']]);
    // Without groups the same budget packs the files in their own order.
    expect(chunkFiles(files, Math.floor(one * 2.5)).map((c) => c.paths)).toEqual([['web/a.ts', 'pay/a.ts'], ['web/b.ts', 'pay/b.ts']]);
    // A group too big for one chunk is packed as before, small groups share a chunk when they fit.
    expect(chunkFiles(files, one * 10, group).map((c) => c.paths)).toEqual([['web/a.ts', 'web/b.ts', 'pay/a.ts', 'pay/b.ts']]);
  });
});

describe("a finding's rule", () => {
  it('keeps a rules file the turn was shown, and drops a name it never saw (the finding stays)', () => {
    const reply = {
      summary: 's',
      findings: [
        finding({ path: 'a.ts', line: 1, title: 'cents', rule: 'services/payments/AGENTS.md' }),
        finding({ path: 'a.ts', line: 2, title: 'dom', rule: 'web/AGENTS.md' }),
        { ...finding({ path: 'a.ts', line: 3, title: 'old reply' }), rule: undefined },
      ],
    };
    const parsed = parseChunkReview(JSON.stringify(reply), ['a.ts'], undefined, new Set(['AGENTS.md', 'services/payments/AGENTS.md']));
    expect(parsed.ok && parsed.review.findings.map((f) => f.rule)).toEqual(['services/payments/AGENTS.md', null, null]);
    const body = commentBody({ ...finding({ path: 'a.ts', line: 1, title: 'cents', rule: 'services/payments/AGENTS.md' }), fp: 'f' }, 'RIGHT');
    expect(body).toContain('Rule: `services/payments/AGENTS.md` (base branch)');
  });

  it('lists per file the chunks it was shown to, and what was cut or left out', () => {
    const rule = (path: string, bytes: number): RuleText => ({ file: { ...file(path, bytes), folder: path.slice(0, path.lastIndexOf('/')) }, text: 'x'.repeat(Math.min(bytes, 1024)), bytes, cut: bytes > 1024 });
    const outcome = (index: number, shown: RuleText[], leftOut: string[] = []) =>
      ({ task: { chunk: { index }, rules: { shown, leftOut: leftOut.map((p) => ({ ...file(p), folder: '' })), unread: [] } } }) as unknown as Parameters<typeof rulesReport>[0][number];
    const report = rulesReport([outcome(1, [rule('a/AGENTS.md', 10)]), outcome(2, [rule('a/AGENTS.md', 10), rule('b/AGENTS.md', 2048)], ['c/AGENTS.md'])], ['a note']);
    expect(rulesSummary(report)).toEqual([
      '',
      '**Nested rules** (AGENTS.md of the base branch, each shown to the chunks of the files below its folder)',
      '- `a/AGENTS.md` (chunks 1, 2)',
      '- `b/AGENTS.md` (chunk 2), cut short: the first 1 KiB of its 2 KiB',
      '- not shown, over the 64 KiB of nested rules per chunk: 1 file(s): `c/AGENTS.md` (chunk 2)',
      '- a note',
    ]);
    expect(rulesSummary(rulesReport([]))).toEqual([]);
  });
});
