// Approval decisions of a run, whoever made them (Codex's auto-reviewer or the action), as data and as job-summary text.
import type { AutoApprovalReview } from './protocol.js';
import { type ApprovalPolicy } from '../options.js';

/** One decision on something the agent asked to do. */
export interface ApprovalRecord {
  /** `auto_review`: Codex's guardian subagent decided; `action`: the action's own handler answered. */
  decidedBy: 'auto_review' | 'action';
  threadId: string;
  turnId: string;
  /** What the agent asked for, in words (the command, the files, the host, the tool). */
  asked: string;
  verdict: 'approved' | 'denied' | 'timed out' | 'aborted' | 'accepted' | 'declined';
  /** The guardian's risk level (low … critical); null for the action's own answers. */
  risk: string | null;
  reason: string | null;
}

const VERDICTS: Record<string, ApprovalRecord['verdict']> = { approved: 'approved', denied: 'denied', timedOut: 'timed out', aborted: 'aborted' };

/** The record of a finished auto-review (`item/autoApprovalReview/completed`); null while it is still in progress. */
export function recordOfAutoReview(params: AutoApprovalReview): ApprovalRecord | null {
  const verdict = VERDICTS[params.review.status];
  if (!verdict) return null;
  return {
    decidedBy: 'auto_review',
    threadId: params.threadId,
    turnId: params.turnId,
    asked: describeAction(params.action),
    verdict,
    risk: params.review.riskLevel ?? null,
    reason: params.review.rationale ?? null,
  };
}

/** The reviewed action in words; unknown action types (the payload is marked unstable) are named by their type. */
export function describeAction(action: AutoApprovalReview['action']): string {
  const a = action as Record<string, unknown>;
  const text = (key: string) => (typeof a[key] === 'string' ? (a[key] as string) : '');
  switch (a.type) {
    case 'command':
      return `run \`${text('command')}\``;
    case 'execve':
      return `run \`${[text('program'), ...(Array.isArray(a.argv) ? a.argv.slice(1).map(String) : [])].join(' ')}\``;
    case 'writeStdin':
      return `write to the stdin of process ${text('processId')}`;
    case 'applyPatch':
      return `change ${Array.isArray(a.files) ? a.files.map(String).join(', ') : 'files'}`;
    case 'networkAccess':
      return `reach ${text('target') || text('host')} over the network`;
    case 'mcpToolCall':
      return `call the MCP tool ${text('server')}/${text('toolName')}`;
    default:
      return `${String(a.type ?? 'an unknown action')}`;
  }
}

/**
 * The approval policy of review threads. Review never changes the workspace: under `on-request` an approved
 * escalation runs outside the sandbox (measured with the pinned codex), so review asks under `untrusted`
 * instead, where an approved command still runs inside the read-only sandbox. (The auto-reviewer only judges
 * escalations, so in review the action answers, and declines, whatever is asked.)
 */
export function reviewApprovalPolicy(policy: ApprovalPolicy): ApprovalPolicy {
  return policy === 'on-request' ? 'untrusted' : policy;
}

/** One log line for a decision, as it happens. */
export function approvalLogLine(record: ApprovalRecord): string {
  const who = record.decidedBy === 'auto_review' ? 'Auto-review' : 'The action';
  const risk = record.risk ? `, risk ${record.risk}` : '';
  const reason = record.reason ? `: ${record.reason}` : '';
  return `${who} ${record.verdict} the agent's request to ${record.asked}${risk}${reason}`;
}

/** The job-summary section listing every decision (empty text when there were none). */
export function approvalsSummary(records: readonly ApprovalRecord[]): string {
  if (records.length === 0) return '';
  const rows = records.map((r) =>
    `| ${cell(r.asked)} | ${r.decidedBy === 'auto_review' ? 'auto-review' : 'the action'} | ${r.verdict} | ${r.risk ?? '–'} | ${cell(r.reason ?? '–')} |`,
  );
  return ['', '#### Approvals', '', '| asked to | decided by | verdict | risk | reason |', '| --- | --- | --- | --- | --- |', ...rows, ''].join('\n');
}

// One table cell: a single line, pipes escaped, bounded so one long command cannot swamp the summary.
function cell(text: string): string {
  const line = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
