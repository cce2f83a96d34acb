// What the pinned codex binary itself does with AGENTS.md files: the order, precedence and size limit the review and
// fix modes copy when they show a change's nested rules (src/base/rules/). A Codex update that changes them fails here.
import { join } from 'node:path';
import { createRepo, type TestRepo } from './support/git-repo.js';
import { startCodexRig, type CodexRig } from './support/codex.js';
import { userText } from './support/model-server.js';

let rig: CodexRig | undefined;
let repo: TestRepo | undefined;
afterEach(async () => {
  await rig?.close();
  await repo?.cleanup();
  rig = repo = undefined;
});

// The first request of a thread started in `folder` of the repository, as the model receives it.
async function firstRequestIn(files: Record<string, string>, folder: string): Promise<string> {
  repo = await createRepo(files);
  const cwd = join(repo.dir, folder);
  rig = await startCodexRig({ workdir: cwd });
  rig.model.respond(() => ({ message: 'ok' }));
  const thread = await rig.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never', cwd });
  expect((await thread.run('Say ok.')).status).toBe('completed');
  return userText(rig.model.responseRequests[0]!);
}

test('codex reads one rules file per folder from the git root down to its cwd, AGENTS.override.md before AGENTS.md', async () => {
  const text = await firstRequestIn(
    {
      'AGENTS.md': 'ROOT-RULE-1\n',
      'services/AGENTS.md': 'SERVICES-RULE-2\n',
      'services/payments/AGENTS.md': 'PAYMENTS-PLAIN-3\n',
      'services/payments/AGENTS.override.md': 'PAYMENTS-OVERRIDE-4\n',
      // A blank override still takes its folder's place: that folder's AGENTS.md is not read.
      'services/payments/deep/AGENTS.override.md': '  \n',
      'services/payments/deep/AGENTS.md': 'DEEP-PLAIN-5\n',
      'web/AGENTS.md': 'WEB-RULE-6\n',
    },
    'services/payments/deep',
  );
  const at = (marker: string) => text.indexOf(marker);
  expect(at('ROOT-RULE-1')).toBeGreaterThanOrEqual(0);
  expect(at('SERVICES-RULE-2')).toBeGreaterThan(at('ROOT-RULE-1'));
  expect(at('PAYMENTS-OVERRIDE-4')).toBeGreaterThan(at('SERVICES-RULE-2'));
  expect(text).not.toContain('PAYMENTS-PLAIN-3');
  expect(text).not.toContain('DEEP-PLAIN-5');
  expect(text).not.toContain('WEB-RULE-6');
});

test('codex gives the whole chain 32 KiB (project_doc_max_bytes), root first: a nested file after a big root file is cut', async () => {
  const text = await firstRequestIn(
    { 'AGENTS.md': `ROOT-START${'a'.repeat(30_000)}`, 'pkg/AGENTS.md': `PKG-START${'b'.repeat(10_000)}PKG-END` },
    'pkg',
  );
  expect(text).toContain('PKG-START');
  expect(text).not.toContain('PKG-END');
  // The run of b's right after the nested file's marker (a 'b' elsewhere, e.g. in a temporary path, is not it).
  expect(/PKG-START(b*)/.exec(text)![1]!.length).toBe(32 * 1024 - 30_010 - 'PKG-START'.length);
});
