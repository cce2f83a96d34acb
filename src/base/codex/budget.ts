// The run's token and turn budget (`max-tokens`, `max-turns`) across every thread, and tokens per phase.

/** Tokens of one model round trip or more, as `thread/tokenUsage/updated` reports them. */
export interface PhaseUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/** USD per million tokens (`price-per-million`: input/cached/output). */
export interface Prices {
  input: number;
  cached: number;
  output: number;
}

/** A turn was not started because the run's budget is spent; the message says which limit. */
export class BudgetExhaustedError extends Error {
  constructor(readonly reason: string) {
    super(`Not started: ${reason}.`);
    this.name = 'BudgetExhaustedError';
  }
}

/**
 * Counts turns and tokens of the whole run. Once a limit is reached it stays reached: no new turn starts
 * (`startTurn` throws) and listeners (the app-server) interrupt the turns still running.
 */
export class RunBudget {
  private turns = 0;
  private spent = 0;
  private readonly phases = new Map<string, PhaseUsage>();
  private reachedReason: string | undefined;
  private readonly listeners: Array<(reason: string) => void> = [];

  constructor(readonly limits: { maxTokens?: number; maxTurns?: number } = {}) {}

  /** Why the budget stopped the run, once it has. */
  get reached(): string | undefined {
    return this.reachedReason;
  }

  /** Total tokens (input + output) counted so far. */
  get tokens(): number {
    return this.spent;
  }

  /** Called once when a limit is reached. */
  onReached(listener: (reason: string) => void): void {
    this.listeners.push(listener);
  }

  /** Counts a turn about to start; throws BudgetExhaustedError when no more may start. */
  startTurn(): void {
    if (this.reachedReason) throw new BudgetExhaustedError(this.reachedReason);
    const { maxTurns } = this.limits;
    if (maxTurns !== undefined && this.turns >= maxTurns) {
      this.reach(`the run used all ${maxTurns} turns of max-turns`);
      throw new BudgetExhaustedError(this.reachedReason!);
    }
    this.turns++;
  }

  /** Adds the tokens of one round trip to `phase`; reaching max-tokens stops the run. */
  add(phase: string, usage: PhaseUsage): void {
    const sum = this.phases.get(phase) ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
    sum.inputTokens += usage.inputTokens;
    sum.cachedInputTokens += usage.cachedInputTokens;
    sum.outputTokens += usage.outputTokens;
    this.phases.set(phase, sum);
    this.spent += usage.inputTokens + usage.outputTokens;
    const { maxTokens } = this.limits;
    if (maxTokens !== undefined && this.spent >= maxTokens) {
      this.reach(`the run reached max-tokens (${this.spent} of ${maxTokens} tokens used)`);
    }
  }

  /** Tokens per phase, in the order phases first used tokens. */
  get byPhase(): ReadonlyMap<string, PhaseUsage> {
    return this.phases;
  }

  private reach(reason: string): void {
    if (this.reachedReason) return;
    this.reachedReason = reason;
    for (const listener of this.listeners) listener(reason);
  }
}

/** Estimated cost in USD; cached input tokens are part of input tokens and priced at the cached rate. */
export function estimateCost(usage: PhaseUsage, prices: Prices): number {
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens);
  return (uncached * prices.input + usage.cachedInputTokens * prices.cached + usage.outputTokens * prices.output) / 1_000_000;
}

/** The job-summary section: tokens per phase, the estimated cost when prices are given, and why the budget stopped the run. */
export function budgetSummary(budget: RunBudget, prices: Prices | undefined): string {
  if (budget.byPhase.size === 0 && !budget.reached) return '';
  const money = (n: number) => `$${n.toFixed(4)}`;
  const head = prices ? '| phase | input | cached input | output | est. cost |\n| --- | ---: | ---: | ---: | ---: |' : '| phase | input | cached input | output |\n| --- | ---: | ---: | ---: |';
  const total: PhaseUsage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  const row = (name: string, u: PhaseUsage) =>
    `| ${name} | ${u.inputTokens} | ${u.cachedInputTokens} | ${u.outputTokens} |${prices ? ` ${money(estimateCost(u, prices))} |` : ''}`;
  const rows = [...budget.byPhase].map(([name, u]) => {
    total.inputTokens += u.inputTokens;
    total.cachedInputTokens += u.cachedInputTokens;
    total.outputTokens += u.outputTokens;
    return row(name, u);
  });
  const lines = ['', '#### Tokens by phase', '', head, ...rows, row('**total**', total), ''];
  if (budget.reached) lines.push(`> [!WARNING]\n> The budget stopped the run: ${budget.reached}. Running turns were interrupted and no new turn was started.`, '');
  return lines.join('\n');
}
