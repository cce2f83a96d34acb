// Keeps the pull request's one status comment up to date: created or reused before the model runs, then edited in
// place, with bursts of progress coalesced into one edit. Never throws: the review matters more than its status.
import type { Repo } from '../../../base/context.js';
import { createIssueComment, editIssueComment, findMarkedComment, type MarkedComment } from '../../../base/github/comments.js';
import type { GitHub } from '../../../base/github/octokit.js';
import { statusOf } from '../../../base/github/pulls.js';
import { githubErrorInfo, isOurs } from '../../../base/github/reviews.js';
import { redact } from '../../../base/text/redact.js';
import { SUMMARY_MARKER } from './compose.js';
import { log } from '../../../base/log.js';

/** Progress edits are at least this far apart by default: a burst of chunk completions is one edit. */
export const STATUS_INTERVAL_MS = 3000;

/** A new body, given, or composed from the comment's text as GitHub has it when the edit is made (undefined: no edit). */
type Body = string | ((current: string) => string | undefined);

/** The status comment of one pull request. */
export class StatusComment {
  private id: number | undefined;
  private pending: Body | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private scheduled: Promise<void> = Promise.resolve();
  private releaseScheduled: (() => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  private warned = false;

  private constructor(
    private readonly github: GitHub,
    private readonly repo: Repo,
    private readonly pullNumber: number,
    private readonly secrets: readonly string[],
    private readonly intervalMs: number,
    private readonly self: string | undefined,
    existing: MarkedComment | undefined,
    /** The body the comment had before this run (empty when there was none). */
    readonly previousBody: string,
  ) {
    this.id = existing?.id;
  }

  /**
   * Finds this action's status comment on the pull request (by its marker, written by this token only); a marked
   * comment by anyone else is ignored. When the comments cannot be listed, a new comment is created later.
   */
  static async open(
    github: GitHub,
    repo: Repo,
    pullNumber: number,
    opts: { self: string | undefined; secrets: readonly string[]; intervalMs?: number },
  ): Promise<StatusComment> {
    let existing: MarkedComment | undefined;
    try {
      existing = await findMarkedComment(github, repo, pullNumber, SUMMARY_MARKER, (user) => isOurs(user, opts.self));
    } catch (error) {
      log.warning(`Could not read the comments of pull request #${pullNumber} to find the status comment: ${githubErrorInfo(error).message}`);
    }
    return new StatusComment(github, repo, pullNumber, opts.secrets, opts.intervalMs ?? STATUS_INTERVAL_MS, opts.self, existing, existing?.body ?? '');
  }

  /**
   * Writes `body` now (creating the comment if there is none) and waits for it. A function of the comment's current
   * text edits only an existing comment, read again first: the jobs of a sharded review share it, each its own line.
   */
  async show(body: Body): Promise<void> {
    this.cancelPending();
    await this.enqueue(body);
  }

  /** Writes `body` soon: updates within the interval replace each other, so only the latest is sent. */
  update(body: Body): void {
    this.pending = body;
    if (this.timer) return;
    this.scheduled = new Promise<void>((resolve) => {
      this.releaseScheduled = () => resolve();
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const next = this.pending;
        this.pending = undefined;
        resolve(next !== undefined ? this.enqueue(next) : undefined);
      }, this.intervalMs);
      this.timer.unref?.();
    });
  }

  /** Resolves once the scheduled update (if any) and every write under way are done. */
  async settled(): Promise<void> {
    await this.scheduled;
    await this.chain;
  }

  /** Drops any pending update and writes the final `body` after the edits already under way. */
  async finish(body: Body): Promise<void> {
    // The final state matters most: a failure to write it is reported even after a warning about progress.
    this.warned = false;
    await this.show(body);
  }

  private cancelPending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    this.releaseScheduled?.();
    this.releaseScheduled = undefined;
  }

  // Writes run one after another, so an older body can never land after a newer one.
  private enqueue(body: Body): Promise<void> {
    this.chain = this.chain.then(() => (typeof body === 'string' ? this.write(redact(body, this.secrets)) : this.edit(body)));
    return this.chain;
  }

  /** Reads the comment again and edits it with what `compose` makes of its text; creates nothing. */
  private async edit(compose: (current: string) => string | undefined): Promise<void> {
    let current: MarkedComment | undefined;
    try {
      current = await findMarkedComment(this.github, this.repo, this.pullNumber, SUMMARY_MARKER, (user) => isOurs(user, this.self));
    } catch (error) {
      if (!this.warned) log.warning(`Could not read the status comment of pull request #${this.pullNumber}: ${githubErrorInfo(error).message}`);
      this.warned = true;
      return;
    }
    const body = current && compose(current.body);
    if (!current || body === undefined) return;
    this.id = current.id;
    await this.write(redact(body, this.secrets));
  }

  private async write(body: string): Promise<void> {
    try {
      if (this.id !== undefined) {
        try {
          await editIssueComment(this.github, this.repo, this.id, body);
          return;
        } catch (error) {
          // Deleted meanwhile: start a new one rather than lose the status.
          if (statusOf(error) !== 404) throw error;
        }
      }
      this.id = (await createIssueComment(this.github, this.repo, this.pullNumber, body)).id;
    } catch (error) {
      if (this.warned) return;
      this.warned = true;
      log.warning(`Could not write the status comment on pull request #${this.pullNumber}: ${githubErrorInfo(error).message}`);
    }
  }
}
