// How the model proxy authenticates upstream: OpenAI's Bearer header, or Azure OpenAI's `api-key` header and `api-version` query.

/** What `openai-api-style` accepts; `auto` picks `azure` for Azure OpenAI hosts and `openai` otherwise. */
export const API_STYLES = ['auto', 'openai', 'azure'] as const;
export type ApiStyleInput = (typeof API_STYLES)[number];

/** The upstream's conventions, resolved from the inputs once per run. */
export interface Gateway {
  style: 'openai' | 'azure';
  /** Sent as the `api-version` query parameter (Azure's dated API versions); omitted when undefined. */
  apiVersion?: string;
}

// Azure OpenAI resources (classic and AI Foundry) answer under these host names.
const AZURE_HOST = /\.(openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/i;

/** Resolves `openai-api-style` and `openai-api-version` against the base URL. */
export function gatewayFor(baseUrl: string, style: ApiStyleInput, apiVersion?: string): Gateway {
  const resolved = style === 'auto' ? (AZURE_HOST.test(new URL(baseUrl).hostname) ? 'azure' : 'openai') : style;
  return apiVersion ? { style: resolved, apiVersion } : { style: resolved };
}

/** The headers that carry the key upstream (the proxy drops any the client sent under these names). */
export function authHeaders(gateway: Gateway, apiKey: string): Record<string, string> {
  return gateway.style === 'azure' ? { 'api-key': apiKey } : { authorization: `Bearer ${apiKey}` };
}

/**
 * The upstream URL of a proxied path such as `/responses?x=1`: the base URL's own path and query are kept
 * (gateways that route by query), and `api-version` is set when the gateway has one.
 */
export function upstreamUrl(baseUrl: string, pathAndQuery: string, gateway: Gateway): string {
  const base = new URL(baseUrl);
  const request = new URL(pathAndQuery, 'http://proxy.invalid');
  const url = new URL(base.origin);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${request.pathname}`;
  for (const [name, value] of base.searchParams) url.searchParams.append(name, value);
  for (const [name, value] of request.searchParams) url.searchParams.append(name, value);
  if (gateway.apiVersion) url.searchParams.set('api-version', gateway.apiVersion);
  return url.toString();
}
