// The lines a posted finding carries about its checks: severity and verifier confidence, and how its suggestion fared.
import type { Verdict } from '../check/verify.js';
import type { SuggestionProof } from '../keyed.js';
import { type Severity } from '../../../base/options.js';

/** e.g. "Severity: high · Confidence: 0.85 (a second pass tried to refute it: the guard is missing in both callers)". */
export function confidenceLine(severity: Severity, verdict: Verdict): string {
  const reason = verdict.reason ? `: ${verdict.reason}` : '';
  return `Severity: ${severity} · Confidence: ${verdict.confidence.toFixed(2)} (kept by a second pass that tried to refute it${reason})`;
}

/** True when a suggestion may be posted as a block GitHub can commit: not checked, or checked and applying. */
export function isCommittable(proof: SuggestionProof | undefined): boolean {
  return proof === undefined || proof.status === 'proven' || proof.status === 'applies';
}

/** The note under a checked suggestion. */
export function proofLine(proof: SuggestionProof): string {
  return isCommittable(proof) ? `✅ Suggestion checked: ${proof.note}` : `⚠️ Not offered as a committable suggestion: ${proof.note}`;
}
