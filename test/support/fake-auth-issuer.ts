// A loopback fake of OpenAI's sign-in server (device-code endpoints, token exchange), of its account API (the check of a
// Codex access token) and of the ChatGPT backend's account check, in the shapes the pinned Codex sends and reads
// (measured against it; see test/login.test.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the device-token endpoint answers while the test waits: the user has not entered the code yet, … */
export type DeviceTokenScript = 'approve-after-one-poll' | 'never-approved' | 'denied';

export interface FakeAuthIssuerOptions {
  /** HTTP status of the user-code request: 404 is what a server without device-code login answers. */
  userCodeStatus?: number;
  deviceToken?: DeviceTokenScript;
  email?: string;
  plan?: string;
  accountId?: string;
}

export interface IssuedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An unsigned JWT: Codex reads the claims of the tokens it is given, the sign-in server's signature is not checked. */
export const jwt = (claims: Record<string, unknown>) => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.sig`;

/** The device-code flow's server side, and the tokens it hands out (to look for them later). */
export class FakeAuthIssuer {
  readonly requests: IssuedRequest[] = [];
  readonly userCode = 'QX7P-4KMD';
  readonly refreshToken = 'rt-fake-refresh-8c1d0e2f3a4b5c6d';
  /** The Codex access token (a personal access token, `at-…`) the account API accepts. */
  readonly personalAccessToken = 'at-fake-pat-7e6d5c4b3a2910ffee';
  readonly accessToken: string;
  readonly idToken: string;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: Required<FakeAuthIssuerOptions>,
  ) {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const auth = { chatgpt_plan_type: options.plan, chatgpt_account_id: options.accountId, chatgpt_user_id: 'user-fake-1' };
    this.idToken = jwt({ email: options.email, exp, 'https://api.openai.com/auth': auth });
    this.accessToken = jwt({ exp, 'https://api.openai.com/auth': auth, scp: ['openid'] });
  }

  static async start(options: FakeAuthIssuerOptions = {}): Promise<FakeAuthIssuer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const full: Required<FakeAuthIssuerOptions> = {
      userCodeStatus: 200,
      deviceToken: 'approve-after-one-poll',
      email: 'ci-bot@example.com',
      plan: 'plus',
      accountId: 'acct-fake-1',
      ...options,
    };
    const issuer = new FakeAuthIssuer(server, `http://127.0.0.1:${port}`, full);
    server.on('request', (req, res) => issuer.handle(req, res));
    return issuer;
  }

  /** The account API base (CODEX_AUTHAPI_BASE_URL) Codex checks an access token with. */
  get authApiUrl(): string {
    return this.url;
  }

  /** The `chatgpt_base_url` Codex should use to reach this fake's backend routes. */
  get backendUrl(): string {
    return `${this.url}/backend-api`;
  }

  /** Requests to one path. */
  to(path: string): IssuedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      this.requests.push({ method: req.method ?? '', path, headers: req.headers, body });
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.method === 'POST' && path === '/api/accounts/deviceauth/usercode') {
        if (this.options.userCodeStatus !== 200) return json(this.options.userCodeStatus, { error: 'not_found' });
        // `interval` is a string in OpenAI's answer; 1 s keeps the test's polling short.
        return json(200, { device_auth_id: 'device-auth-fake-1', user_code: this.userCode, interval: '1' });
      }
      if (req.method === 'POST' && path === '/api/accounts/deviceauth/token') {
        const polls = this.to(path).length;
        // 403 is "the user has not entered the code yet": Codex polls again after `interval`.
        if (this.options.deviceToken === 'never-approved' || polls < 2) return json(403, { error: 'authorization_pending' });
        if (this.options.deviceToken === 'denied') return json(400, { error: 'access_denied' });
        return json(200, { authorization_code: 'auth-code-fake-1', code_challenge: 'challenge', code_verifier: 'verifier-fake-1' });
      }
      if (req.method === 'POST' && path === '/oauth/token') {
        return json(200, { id_token: this.idToken, access_token: this.accessToken, refresh_token: this.refreshToken });
      }
      if (req.method === 'GET' && path === '/v1/user-auth-credential/whoami') {
        if (req.headers.authorization !== `Bearer ${this.personalAccessToken}`) return json(401, { error: { message: 'invalid token' } });
        return json(200, {
          email: this.options.email,
          chatgpt_user_id: 'user-fake-1',
          chatgpt_account_id: this.options.accountId,
          chatgpt_plan_type: 'enterprise',
          chatgpt_account_is_fedramp: false,
        });
      }
      if (req.method === 'GET' && path === '/backend-api/wham/accounts/check') {
        // Codex routes the workspace by this entry; it accepts only an https origin here (it is not called in tests).
        const account = { id: this.options.accountId, workspace_backend_origin: 'https://chatgpt.com', account_routing_override: 'NO_CONSTRAINT' };
        return json(200, { accounts: [account], account_ordering: [this.options.accountId] });
      }
      // Business and Enterprise workspaces: Codex loads the workspace's managed policies before a thread starts.
      if (req.method === 'GET' && path === '/backend-api/wham/config/bundle') return json(200, {});
      // Plugins, usage and the like: nothing here.
      json(404, { detail: 'Not Found' });
    });
  }
}
