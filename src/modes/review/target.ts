// What a shell asks the review mode to do: which pull requests, and how the request came.

/** Which PRs to review; `explicit` when the user named them (then drafts are reviewed too). */
export interface ReviewTarget {
  prNumbers: number[];
  explicit: boolean;
  /** The trigger comment asked for a full review (`@codex full`), whatever `incremental` says. */
  full?: boolean;
  /** The comment that asked for this review, acknowledged with a 👀 reaction. */
  triggerCommentId?: number;
}
