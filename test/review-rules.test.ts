// Nested AGENTS.md in review mode, end to end: the real app-server, the scripted model, and the fake GitHub serving the
// base commit's tree and blobs from a real repository. Each chunk is shown the base's rules on its own files' paths.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runReview } from '../src/modes/review/run-review.js';
import { MAX_RULE_FILES } from '../src/base/rules/rule-reader.js';
import { testContext } from './support/context.js';
import { diffFiles } from './support/fake-github.js';
import { lastUserText, userText, type ModelRequest } from './support/model-server.js';
import { closeReviewRig, finding, findingsReply, scriptReviewModel, serveContents, startReviewRig, turnKind, type ReviewRig } from './support/review-fixtures.js';

const OWNER = 'octo';
const REPO = 'demo';
let rig: ReviewRig;

afterEach(async () => {
  await closeReviewRig(rig);
});

/** Commits `base` in a new repository, then `head` on top (null deletes a file); the workspace is left at the head. */
async function baseAndHead(base: Record<string, string>, head: Record<string, string>) {
  rig = await startReviewRig(base);
  const repo = rig.workspace;
  for (const [path, text] of Object.entries(head)) {
    await mkdir(dirname(join(repo.dir, path)), { recursive: true });
    await writeFile(join(repo.dir, path), text);
  }
  await repo.git('add', '--all');
  await repo.git('commit', '--quiet', '-m', 'The pull request');
  const headSha = await repo.git('rev-parse', 'HEAD');
  rig.fake.useGitRepo(OWNER, REPO, repo.dir);
  // The root's conventions come through the contents API, as before.
  serveContents(rig.fake, { owner: OWNER, repo: REPO, sha: repo.headSha, files: Object.fromEntries(Object.entries(base).filter(([p]) => !p.includes('/'))) });
  rig.fake.addPullRequest({
    owner: OWNER,
    repo: REPO,
    number: 1,
    head: { ref: 'feature', sha: headSha },
    base: { ref: 'main', sha: repo.headSha },
    files: await diffFiles(repo.dir, repo.headSha, headSha),
  });
  return { baseSha: repo.headSha, headSha };
}

const context = (inputs: Record<string, string> = {}) =>
  testContext({ githubUrl: rig.fake.url, modelUrl: rig.model.url, workdir: rig.workspace.dir, repo: { owner: OWNER, repo: REPO }, inputs: { mode: 'review', verify: 'off', ...inputs } });

/** Lines of code: enough of them that files under different rules do not share a chunk of the test's budget. */
const code = (name: string, lines: number) => Array.from({ length: lines }, (_, i) => `export const ${name}${i} = ${i}; // ${'-'.repeat(40)}`).join('\n') + '\n';

/** The "Rules for these files" section of a chunk's prompt ('' when it has none). */
const rulesSection = (req: ModelRequest) => /## Rules for these files[\s\S]*?(?=\n## )/.exec(lastUserText(req))?.[0] ?? '';
const chunkCovering = (path: string) => rig.model.responseRequests.find((r) => turnKind(r) === 'chunk' && lastUserText(r).includes(`### File: ${path}`))!;

test('each chunk gets the base commit\'s AGENTS.md on its own files\' paths, root first; the head\'s are never read; a 1 MB file is cut and said so', async () => {
  const ONE_MB = 1024 * 1024;
  await baseAndHead(
    {
      'AGENTS.md': 'ROOT-RULE-1: errors are typed.\n',
      'services/payments/AGENTS.md': 'PAYMENTS-RULE-2: amounts are integer cents.\n',
      'services/payments/api.ts': code('api', 5),
      'web/AGENTS.md': 'WEB-PLAIN-5: never read.\n',
      'web/AGENTS.override.md': 'WEB-RULE-3: no direct DOM access.\n',
      'web/app.ts': code('app', 5),
      'big/AGENTS.md': `BIG-START${'z'.repeat(ONE_MB - 'BIG-START'.length - 'BIG-END'.length)}BIG-END`,
      'big/x.ts': code('x', 5),
    },
    {
      // The pull request rewrites the rules of its own folder and adds rules for a new one: neither counts.
      'services/payments/AGENTS.md': 'HEAD-PAYMENTS-RULE: floats are fine.\n',
      'services/payments/api.ts': code('api', 60),
      'web/app.ts': code('app', 60),
      'web/widgets/AGENTS.md': 'HEAD-ADDED-RULE: anything goes here.\n',
      'web/widgets/w.ts': code('w', 3),
      'big/x.ts': code('x', 60),
    },
  );
  scriptReviewModel(rig.model, {
    chunk: (req) =>
      lastUserText(req).includes('### File: services/payments/api.ts')
        ? findingsReply([
            finding({ path: 'services/payments/api.ts', line: 10, severity: 'high', title: 'Amount kept in a float', rule: 'services/payments/AGENTS.md' }),
            // A rules file this chunk was never shown: the finding stays, the name does not.
            finding({ path: 'services/payments/api.ts', line: 11, severity: 'high', title: 'Reads the DOM', rule: 'web/AGENTS.override.md' }),
          ])
        : findingsReply([]),
  });
  const outcome = await runReview(await context(), { prNumbers: [1], explicit: false }, { chunkTokens: 1500 });
  expect(outcome.conclusion).toBe('findings');

  // Three chunks, one per set of rules: files under the same rules were kept together.
  const chunks = rig.model.responseRequests.filter((r) => turnKind(r) === 'chunk');
  expect(chunks).toHaveLength(3);
  const payments = chunkCovering('services/payments/api.ts');
  const web = chunkCovering('web/app.ts');
  const big = chunkCovering('big/x.ts');
  expect(lastUserText(payments)).toContain('### File: services/payments/AGENTS.md');
  expect(lastUserText(web)).toContain('### File: web/widgets/w.ts');

  // services/payments/: the root's rules (setup turn) and then the nested file's, in that order; the base's text.
  const seen = userText(payments);
  expect(seen.indexOf('ROOT-RULE-1')).toBeGreaterThanOrEqual(0);
  expect(seen.indexOf('PAYMENTS-RULE-2')).toBeGreaterThan(seen.indexOf('ROOT-RULE-1'));
  expect(rulesSection(payments)).toContain('### services/payments/AGENTS.md (for `services/payments/`)');
  expect(rulesSection(payments)).not.toContain('HEAD-PAYMENTS-RULE');
  expect(rulesSection(payments)).not.toContain('WEB-RULE-3');
  // web/: its override (AGENTS.override.md wins over AGENTS.md in its folder), never the payments file, never the
  // folder the pull request added rules to.
  expect(rulesSection(web)).toContain('WEB-RULE-3');
  expect(userText(web)).not.toContain('WEB-PLAIN-5');
  expect(userText(web)).not.toContain('PAYMENTS-RULE-2');
  expect(rulesSection(web)).not.toContain('HEAD-ADDED-RULE');
  expect(rulesSection(web)).not.toContain('web/widgets/AGENTS.md');
  // big/: cut to the 32 KiB bound, and the prompt says so.
  expect(rulesSection(big)).toContain('### big/AGENTS.md (for `big/`), cut short: the first 32 KiB of its 1024 KiB');
  expect(rulesSection(big)).toContain('BIG-START');
  expect(rulesSection(big)).not.toContain('BIG-END');
  expect(rulesSection(big).match(/z+/)![0].length).toBe(32 * 1024 - 'BIG-START'.length);

  // A finding that rests on a nested rule names its file, in the comment and the output.
  const comments = rig.fake.reviews[0]!.comments;
  expect(comments.find((c) => c.line === 10)!.body).toContain('Rule: `services/payments/AGENTS.md` (base branch)');
  expect(comments.find((c) => c.line === 11)!.body).not.toContain('Rule:');
  const findings = JSON.parse(outcome.outputs.findings!) as Array<{ title: string; rule: string | null }>;
  expect(findings.map((f) => [f.title, f.rule])).toEqual([
    ['Amount kept in a float', 'services/payments/AGENTS.md'],
    ['Reads the DOM', null],
  ]);

  // The job summary lists the nested files used, with the chunks that saw them and the cut.
  const chunkOf = (req: ModelRequest) => /# Review chunk (\d+) of 3/.exec(lastUserText(req))![1];
  expect(outcome.summary).toContain('**Nested rules**');
  expect(outcome.summary).toContain(`- \`services/payments/AGENTS.md\` (chunk ${chunkOf(payments)})`);
  expect(outcome.summary).toContain(`- \`web/AGENTS.override.md\` (chunk ${chunkOf(web)})`);
  expect(outcome.summary).toContain(`- \`big/AGENTS.md\` (chunk ${chunkOf(big)}), cut short: the first 32 KiB of its 1024 KiB`);
  expect(outcome.summary).not.toContain('web/widgets/AGENTS.md');

  // One listing of the base commit and one read per rules file used; the head was never asked for.
  expect(rig.fake.requestsTo('GET', '/repos/:owner/:repo/git/trees/:sha').map((r) => [r.path.split('/').at(-1), r.query.recursive])).toEqual([[rig.workspace.headSha, '1']]);
  expect(rig.fake.requestsTo('GET', '/repos/:owner/:repo/git/blobs/:sha')).toHaveLength(3);
});

// 200 packages, each with its own AGENTS.md, and a root one.
const MONOREPO = {
  'AGENTS.md': 'ROOT-RULE\n',
  ...Object.fromEntries(
    Array.from({ length: 200 }, (_, i) => String(i).padStart(3, '0')).flatMap((n) => [
      [`pkg-${n}/AGENTS.md`, `RULE-${n}: package ${n}'s own rule.\n`],
      [`pkg-${n}/index.ts`, `export const p${n} = ${Number(n)};\n`],
    ]),
  ),
};
const rulesRequests = () => ({
  trees: rig.fake.requestsTo('GET', '/repos/:owner/:repo/git/trees/:sha').length,
  blobs: rig.fake.requestsTo('GET', '/repos/:owner/:repo/git/blobs/:sha').length,
});

test('a repository with 200 nested AGENTS.md costs one listing and one read per rules file the change is under', async () => {
  await baseAndHead(MONOREPO, { 'pkg-007/index.ts': 'export const p007 = 8;\n', 'pkg-123/index.ts': 'export const p123 = 124;\n', 'pkg-123/more.ts': 'export const more = 1;\n' });
  scriptReviewModel(rig.model, { chunk: () => findingsReply([]) });
  const outcome = await runReview(await context(), { prNumbers: [1], explicit: false });
  expect(outcome.conclusion).toBe('success');
  // 1 tree + 2 blobs: 3 GitHub requests for the nested rules, of 200 in the repository.
  expect(rulesRequests()).toEqual({ trees: 1, blobs: 2 });
  const chunk = rig.model.responseRequests.find((r) => turnKind(r) === 'chunk')!;
  expect(rulesSection(chunk)).toContain('RULE-007');
  expect(rulesSection(chunk)).toContain('RULE-123');
  expect(userText(chunk).match(/RULE-\d{3}/g)!.sort()).toEqual(['RULE-007', 'RULE-123']);
});

test('a change in all 200 packages reads at most MAX_RULE_FILES of their rules, and says which it did not read', async () => {
  const head = Object.fromEntries(Object.keys(MONOREPO).filter((p) => p.endsWith('index.ts')).map((p) => [p, `// changed\n${MONOREPO[p as keyof typeof MONOREPO]}`]));
  await baseAndHead(MONOREPO, head);
  scriptReviewModel(rig.model, { chunk: () => findingsReply([]) });
  const outcome = await runReview(await context(), { prNumbers: [1], explicit: false });
  expect(outcome.conclusion).toBe('success');
  expect(rulesRequests()).toEqual({ trees: 1, blobs: MAX_RULE_FILES });
  expect(outcome.summary).toContain(`- not read, over the ${MAX_RULE_FILES} rules files read per pull request: ${200 - MAX_RULE_FILES} file(s): `);
  const shown = rig.model.responseRequests.filter((r) => turnKind(r) === 'chunk').flatMap((r) => rulesSection(r).match(/^### pkg-\d{3}\/AGENTS\.md/gm) ?? []);
  expect(new Set(shown).size).toBe(MAX_RULE_FILES);
});

test('when GitHub cuts the listing short, the folders of the changed files are listed one by one, and the summary says so', async () => {
  await baseAndHead(MONOREPO, { 'pkg-007/index.ts': 'export const p007 = 8;\n', 'pkg-123/index.ts': 'export const p123 = 124;\n' });
  rig.fake.treeEntryLimit = 50;
  scriptReviewModel(rig.model, { chunk: () => findingsReply([]) });
  const outcome = await runReview(await context(), { prNumbers: [1], explicit: false });
  expect(outcome.conclusion).toBe('success');
  // The cut recursive listing, the root's and the two folders' listings, two reads.
  expect(rulesRequests()).toEqual({ trees: 4, blobs: 2 });
  const chunk = rig.model.responseRequests.find((r) => turnKind(r) === 'chunk')!;
  expect(userText(chunk).match(/RULE-\d{3}/g)!.sort()).toEqual(['RULE-007', 'RULE-123']);
  expect(outcome.summary).toMatch(/cut short \(too many files\), so nested AGENTS\.md were looked for in the 2 folder\(s\) of the changed files one by one\./);
});
