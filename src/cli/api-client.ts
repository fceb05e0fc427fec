import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { ShipgateError } from '../../lambdas/shared/errors';

/** Options of {@link apiRequest}. */
export interface ApiRequestOptions {
  /** Base URL of the Shipgate HTTP API (the stack's ApiUrl output, or the sandbox's http://127.0.0.1:3000). */
  baseUrl: string;
  method?: string;
  /** Path under the base URL, with its query string, e.g. `/api/releases?limit=5`. */
  path: string;
  body?: string;
  /** `auto` (default): sign unless the API is on loopback (the sandbox, whose /api routes are open). */
  sign?: 'auto' | 'always' | 'never';
  /** AWS region of the API. @default from an execute-api host name, else AWS_REGION / AWS_DEFAULT_REGION */
  region?: string;
  /** Credentials. @default the AWS SDK's default chain (environment, profile, SSO, instance role, …) */
  credentials?: ConstructorParameters<typeof SignatureV4>[0]['credentials'];
  env?: NodeJS.ProcessEnv;
  /** Signing time (tests). */
  now?: () => Date;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** The region in an API Gateway host name (`<id>.execute-api.<region>.amazonaws.com[.cn]`), if it is one. */
export function regionOfApiHost(hostname: string): string | undefined {
  return /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/i.exec(hostname)?.[1];
}

/**
 * One request to the Shipgate HTTP API. Against AWS it is signed with SigV4 (service `execute-api`): the
 * `/api/*` routes are behind the HTTP API's IAM authorizer, which answers 403 to anything unsigned. The
 * signature covers the method, host, path, query and body exactly as sent.
 * @throws ShipgateError when no region or credentials can be found for a request that must be signed.
 * @example const res = await apiRequest({ baseUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com', path: '/api/releases' });
 */
export async function apiRequest(options: ApiRequestOptions): Promise<Response> {
  const env = options.env ?? process.env;
  const url = new URL(options.path, options.baseUrl.replace(/\/?$/, '/'));
  const method = (options.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = { accept: 'application/json', host: url.host };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const mode = options.sign ?? 'auto';
  if (mode === 'always' || (mode === 'auto' && !LOOPBACK.test(url.hostname))) {
    const region =
      options.region ?? regionOfApiHost(url.hostname) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) {
      throw new ShipgateError(
        `Cannot tell the AWS region of ${url.host} (a custom domain); set AWS_REGION to the region of the Shipgate stack.`,
      );
    }
    const signer = new SignatureV4({
      service: 'execute-api',
      region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: Sha256,
    });
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    let signed;
    try {
      signed = await signer.sign(
        {
          method,
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port ? Number(url.port) : undefined,
          path: url.pathname,
          query,
          headers,
          body: options.body,
        },
        options.now ? { signingDate: options.now() } : {},
      );
    } catch (err) {
      throw new ShipgateError(
        `No AWS credentials to sign the request to ${url.host} with (${(err as Error).message.split('\n')[0]}). The /api routes require IAM: use credentials allowed execute-api:Invoke on the stack's ApiRoutesInvokeArn (AWS_PROFILE, environment variables or SSO).`,
        { cause: err },
      );
    }
    Object.assign(headers, signed.headers);
  }
  delete headers.host; // fetch sets it from the URL (the same value that was signed)
  return (options.fetchImpl ?? fetch)(url, {
    method,
    headers,
    body: options.body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 15000),
  });
}
