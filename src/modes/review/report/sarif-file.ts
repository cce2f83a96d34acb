// Writes the review's SARIF log where the runner keeps a job's scratch files, for github/codeql-action/upload-sarif.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../../../base/context.js';
import { TOOL_VERSION } from '../../../base/version.js';
import type { PullReport } from './pull-report.js';
import { sarifLog } from './sarif.js';

/** The findings every report kept (as the `findings` output lists them) as a SARIF file; returns its path. */
export async function writeSarifFile(ctx: RunContext, reports: readonly PullReport[]): Promise<string> {
  // One file per workflow run and job step, so two review steps of a job do not overwrite each other's.
  const path = join(ctx.tempDir, `codex-review-${ctx.currentRunId ?? 'local'}-${process.pid}.sarif`);
  const log = sarifLog(reports.flatMap((r) => r.kept), { version: TOOL_VERSION, secrets: ctx.secrets });
  await writeFile(path, `${JSON.stringify(log, null, 2)}\n`);
  return path;
}
