// A finding as it moves through the review's stages: its fingerprint, the fork that found it, its checks' outcomes.
import type { Finding } from './agent/findings.js';
import type { Verdict } from './check/verify.js';

/** A finding with its fingerprint. */
export interface Keyed extends Finding {
  fp: string;
  /** The Codex thread (review fork) that reported it, recorded in its comment so a reply can resume it. */
  threadId?: string;
  /** The verification pass's verdict; absent when `verify` is off or the pass failed for its chunk. */
  verification?: Verdict;
  /** How checking its suggestion went; absent when not checked. */
  proof?: SuggestionProof;
}

/** How checking one suggestion went; `note` is shown under it. */
export interface SuggestionProof {
  /**
   * proven: applies and test-command passes with it; applies: applies cleanly (tests not run);
   * does-not-apply / breaks-tests: posted without a committable block.
   */
  status: 'proven' | 'applies' | 'does-not-apply' | 'breaks-tests';
  note: string;
}
