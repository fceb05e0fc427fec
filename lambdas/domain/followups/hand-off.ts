import { Sha256 } from '@aws-crypto/sha256-js';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { SignatureV4 } from '@smithy/signature-v4';
import { ConfigError, ShipgateError } from '../../shared/errors';
import type { FollowUp } from './types';

/**
 * Hands a follow-up to the follow-up function (`SHIPGATE_FOLLOW_UP_FUNCTION`) as an asynchronous Lambda
 * invocation (`Invoke`, `X-Amz-Invocation-Type: Event`): Lambda queues it, answers 202 at once, retries it
 * twice when it fails and then sends it to the function's on-failure destination. The HTTP function uses
 * this so a decision's answer never waits for chat or GitLab, and so its bundle carries neither.
 *
 * Why a signed `fetch` rather than `@aws-sdk/client-lambda`: the client adds 88 KB to the bundle (its
 * endpoint rules and the schemas of every Lambda operation) for this one call. The request is the
 * documented REST call (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html), signed by the SDK's
 * own SigV4 signer (`@smithy/signature-v4`) with the function's credentials from the environment, as every
 * SDK client in a Lambda bundle gets them (lambdas/shared/lambda-credentials.ts). The endpoint follows the
 * SDK's settings: `AWS_ENDPOINT_URL_LAMBDA`, then `AWS_ENDPOINT_URL` (the sandbox), else Lambda's regional
 * endpoint.
 */

/** The follow-up could not be handed over (Lambda refused it or did not answer); nothing was queued. */
export class FollowUpNotQueued extends ShipgateError {
  static override readonly errorName: string = 'FollowUpNotQueued';
  override readonly status: number = 503;
}

/** Tries in all, and the first pause between them (doubled each time). */
const ATTEMPTS = 3;
const BACKOFF_MS = 100;
/** Per-try limit: Lambda answers an Event invocation as soon as it is queued. */
const TRY_TIMEOUT_MS = 3000;

let signer: { key: string; signer: SignatureV4 } | undefined;

function signerFor(region: string): SignatureV4 {
  if (signer?.key !== region) {
    signer = {
      key: region,
      signer: new SignatureV4({ service: 'lambda', region, credentials: fromEnv(), sha256: Sha256 }),
    };
  }
  return signer.signer;
}

/** Invoke's endpoint for this environment (SDK precedence: service-specific, then global, then AWS's). */
export function lambdaEndpoint(env: NodeJS.ProcessEnv, region: string): URL {
  return new URL(
    env.AWS_ENDPOINT_URL_LAMBDA || env.AWS_ENDPOINT_URL || `https://lambda.${region}.amazonaws.com`,
  );
}

/** Options of {@link handOffFollowUp}. */
export interface HandOffOptions {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Queues `task` for the follow-up function. Retries throttling (429), 5xx answers and network errors up to
 * three times in all.
 * @throws ConfigError when no follow-up function or region is configured; FollowUpNotQueued when Lambda
 *   refused the invocation or did not answer.
 * @example await handOffFollowUp({ kind: 'pause', id: pauseId, tell: 'outcome' });
 */
export async function handOffFollowUp(task: FollowUp, options: HandOffOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const name = env.SHIPGATE_FOLLOW_UP_FUNCTION;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!name || !region) {
    throw new ConfigError(
      `Follow-ups are handed to another function here, but ${name ? 'AWS_REGION' : 'SHIPGATE_FOLLOW_UP_FUNCTION'} is not set: set it to ${name ? 'the region' : 'the follow-up function’s name or ARN'}.`,
    );
  }
  const endpoint = lambdaEndpoint(env, region);
  const path = `${endpoint.pathname.replace(/\/+$/, '')}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;
  const body = JSON.stringify(task);
  let last = '';
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    if (attempt > 0) await sleep(BACKOFF_MS * 2 ** (attempt - 1));
    const signed = await signerFor(region).sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path,
      query: {},
      headers: {
        host: endpoint.host,
        'content-type': 'application/json',
        'x-amz-invocation-type': 'Event',
      },
      body,
    });
    // fetch sets Host itself (the same value, which the signature covers).
    const headers = Object.fromEntries(
      Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host'),
    );
    try {
      const response = await doFetch(`${endpoint.origin}${path}`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(TRY_TIMEOUT_MS),
      });
      if (response.status === 202) {
        await response.arrayBuffer().catch(() => undefined);
        return;
      }
      const text = (await response.text().catch(() => '')).slice(0, 300);
      const type = response.headers.get('x-amzn-errortype')?.split(':')[0] ?? '';
      last = `HTTP ${response.status}${type ? ` ${type}` : ''}${text ? `: ${text}` : ''}`;
      if (response.status !== 429 && response.status < 500) break;
    } catch (err) {
      last = `${(err as Error).name}: ${(err as Error).message}`;
    }
  }
  throw new FollowUpNotQueued(
    `The ${task.kind} ${task.id} was decided, but telling chat and GitLab could not be queued (Lambda Invoke of ${name}: ${last}).`,
  );
}
