// The job summary's account of the verification pass: kept and dropped counts per severity, each drop with its reason.
import { location } from '../deliver/compose.js';
import type { VerificationReport } from '../check/verified-findings.js';
import { type Keyed } from '../keyed.js';
import { type PullReport } from './pull-report.js';
import { SEVERITIES } from '../../../base/options.js';

/** " · Verification: … tokens" for the summary's totals line, or '' when no verification turn ran. */
export function verificationTotals(reports: readonly PullReport[]): string {
  let input = 0;
  let cached = 0;
  let output = 0;
  for (const r of reports) {
    if (!r.verification) continue;
    input += r.verification.usage.inputTokens;
    cached += r.verification.usage.cachedInputTokens;
    output += r.verification.usage.outputTokens;
  }
  if (input + output === 0) return '';
  return ` · **Verification:** ${input} input (${cached} cached), ${output} output tokens (included in the totals)`;
}

/** Lines for one pull request: counts per severity, the dropped findings with reasons, failures and notes. */
export function verificationSection(kept: readonly Keyed[], v: VerificationReport): string[] {
  const out: string[] = [];
  if (v.chunksVerified > 0 || v.dropped.length > 0) {
    out.push('', '**Verification** (a second pass tried to refute each finding)', '', '| Severity | Kept | Dropped |', '| --- | --- | --- |');
    for (const s of SEVERITIES) {
      const k = kept.filter((f) => f.severity === s).length;
      const d = v.dropped.filter((x) => x.finding.severity === s).length;
      if (k + d > 0) out.push(`| ${s} | ${k} | ${d} |`);
    }
  }
  if (v.dropped.length > 0) {
    out.push('', '**Dropped by verification** (not posted on the pull request)');
    for (const d of v.dropped) out.push(`- ${d.finding.severity} \`${cell(location(d.finding))}\` — ${cell(d.finding.title)}: ${cell(d.why)}`);
  }
  for (const line of [...v.failures, ...v.notes]) out.push('', `> ${cell(line)}`);
  return out;
}

function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}
