// Failures of the agent machinery (the app-server died, the model endpoint refused the run): they fail the whole
// run, unlike a turn the model could not complete, which fails only its own piece of work.

/** The agent machinery broke: no later turn can succeed, so the run fails (it is never a chunk's or a try's failure). */
export class AgentFailure extends Error {
  override name = 'AgentFailure';
}

/** An error answer of the model endpoint, as the action's proxy received it (the key redacted, bounded in length). */
export interface ModelEndpointAnswer {
  /** HTTP status; 0 when no answer came (the connection failed). */
  status: number;
  statusText: string;
  /** The endpoint's own error message (JSON `error.message`, else its body as text), or the network cause. */
  message: string;
  /** The endpoint the user configured (openai-base-url), without credentials or query. */
  endpoint: string;
  /** Retries the proxy made before giving up (429, 5xx and failed connections only). */
  retries: number;
  /** When the answer arrived (ms since epoch), to tell which turn it belongs to. */
  at: number;
}

/** HTTP statuses that end the run at once: the key is refused, and every later request would be refused too. */
export const FATAL_MODEL_STATUSES: ReadonlySet<number> = new Set([401, 403]);

/** The model endpoint refused the run's credentials (401/403): the run stops at the first such answer. */
export class ModelEndpointError extends AgentFailure {
  override name = 'ModelEndpointError';
  constructor(readonly answer: ModelEndpointAnswer) {
    super(describeModelAnswer(answer));
  }
}

/** One sentence in user words: which endpoint, what it answered (its own words), and what to check. */
export function describeModelAnswer(answer: ModelEndpointAnswer): string {
  const after = answer.retries > 0 ? ` (after ${answer.retries} ${answer.retries === 1 ? 'retry' : 'retries'})` : '';
  if (answer.status === 0) return `The model endpoint ${answer.endpoint} (openai-base-url) could not be reached${after}: ${answer.message}.`;
  const status = `${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`;
  const said = answer.message ? `: ${JSON.stringify(answer.message)}` : ' (no error message)';
  const what = FATAL_MODEL_STATUSES.has(answer.status)
    ? ' The run was stopped at this first refusal. Check openai-api-key (or OPENAI_API_KEY) and that it is valid for openai-base-url.'
    : '';
  return `The model endpoint ${answer.endpoint} (openai-base-url) answered HTTP ${status}${after}${said}.${what}`;
}
