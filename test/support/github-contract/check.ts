// The one call the fake GitHub makes for each request it answers: checks the request and the answer against
// GitHub's descriptions and records what is wrong (see violations.ts).
import { checkGraphqlRequest, checkGraphqlResponse } from './graphql.js';
import { RestContract, type Description } from './rest.js';
import { allowed, OUTSIDE_THE_API } from './allow-list.js';
import { recordViolation, type Violation } from './violations.js';

/** A request as the fake read it, and the answer it is about to send. */
export interface Exchange {
  method: string;
  /** Path under the API root as sent (percent-encoded), without the query. */
  rawPath: string;
  query: Record<string, string>;
  body: unknown;
  graphql: boolean;
}

/** What to do with the answer once it is known: complete it to GitHub's shape (REST), check it, and send the result. */
export type AnswerCheck = (status: number, body: unknown, json: boolean) => unknown;

/** Checks one request before it is answered; returns the check of the answer, to run when the answer is known. */
export function checkExchange(api: string, description: Description, exchange: Exchange): AnswerCheck {
  const request = `${exchange.method} ${exchange.rawPath}${queryString(exchange.query)}${exchange.body === undefined ? '' : ` ${preview(exchange.body)}`}`;
  const record = (operation: string, side: Violation['side'], problems: readonly string[]) => {
    for (const problem of problems) if (!allowed(operation, problem)) recordViolation({ api, operation, problem, request, side });
  };
  if (exchange.graphql) {
    const { checked, problems } = checkGraphqlRequest(exchange.body);
    record(checked?.name ?? 'GraphQL', 'request', problems);
    return (status, body) => {
      if (checked && status === 200) record(checked.name, 'answer', checkGraphqlResponse(checked, body));
      return body;
    };
  }
  if (OUTSIDE_THE_API.some((o) => o.path.test(exchange.rawPath))) return (_status, body) => body;
  const contract = RestContract.of(description);
  const { operation, problems } = contract.checkRequest({ method: exchange.method, path: exchange.rawPath, query: exchange.query, body: exchange.body });
  const name = operation?.id ?? `${exchange.method} ${exchange.rawPath}`;
  record(name, 'request', problems);
  return (status, body, json) => {
    if (!operation) return body;
    // A checker that breaks must not leave the request unanswered (the test would time out saying nothing).
    try {
      const completed = json ? contract.complete(operation, status, body) : body;
      record(name, 'answer', contract.checkResponse(operation, status, completed, json ? 'application/json' : undefined));
      return completed;
    } catch (error) {
      record(name, 'answer', [`the description could not be applied to the answer: ${(error as Error).message}`]);
      return body;
    }
  };
}

/** Loads a description ahead of the first request (13 MB of JSON), so no request's timing carries it. */
export function preloadDescription(description: Description): void {
  RestContract.of(description);
}

function queryString(query: Record<string, string>): string {
  const text = new URLSearchParams(query).toString();
  return text ? `?${text}` : '';
}

function preview(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
