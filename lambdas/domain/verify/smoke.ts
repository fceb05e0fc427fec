import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ShipgateConfig } from '../../shared/config';
import { ShipgateError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { loadContract } from '../rollout/contract';
import { markVerified } from '../rollout/records';
import type { EnvironmentImagesInput } from '../rollout/types';

/**
 * "Verify <env>": HTTP smoke checks against each service's readiness URL from its deploy contract
 * (`smokeUrl` + `smokePath`), `verify.attempts` tries `verify.interval` apart, each bounded by
 * `verify.requestTimeout`. A pass marks the release verified in the deployed history (the next
 * environment only takes what passed here); a failure throws `VerifyFailed` for "Roll back".
 */

/** The smoke checks failed for at least one service; the message has per-service detail. */
export class VerifyFailed extends ShipgateError {
  static override readonly errorName: string = 'VerifyFailed';
}

/** One service's smoke check. */
export interface SmokeCheck {
  service: string;
  url: string;
  passed: boolean;
  /** Attempts made (1…`verify.attempts`). */
  attempts: number;
  /** HTTP status of the last response, when there was one. */
  status?: number;
  /** What went wrong on the last attempt. */
  error?: string;
  durationMs: number;
}

/** Result of `verify`. */
export interface VerifyResult {
  passed: true;
  checks: SmokeCheck[];
}

/** Dependencies of the verify step. */
export interface VerifyDeps {
  /** SSM of Shipgate's own account (contracts of environments without `aws`). */
  ssm: SSMClient;
  /** SSM of an environment (its deploy role's in its own account); `ssm` when not given. */
  environmentSsm?: (environment: string) => SSMClient;
  ddb: DynamoDBDocumentClient;
  table: string;
  config: ShipgateConfig;
  fetch: typeof fetch;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

/** Joins a base URL and a path without losing a base path (`http://alb/api` + `/readyz` → `http://alb/api/readyz`). */
export function smokeUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}

/** Runs one service's smoke check: 2xx passes; anything else is retried up to `attempts` times. */
export async function runSmokeCheck(
  service: string,
  url: string,
  settings: { attempts: number; intervalSeconds: number; timeoutSeconds: number },
  deps: Pick<VerifyDeps, 'fetch' | 'sleep'>,
): Promise<SmokeCheck> {
  const started = Date.now();
  let status: number | undefined;
  let error: string | undefined;
  for (let attempt = 1; attempt <= settings.attempts; attempt++) {
    try {
      const res = await deps.fetch(url, {
        method: 'GET',
        headers: { 'user-agent': 'shipgate-verify', accept: '*/*' },
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutSeconds * 1000),
      });
      status = res.status;
      const body = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ').trim();
      if (res.status >= 200 && res.status < 300) {
        return { service, url, passed: true, attempts: attempt, status, durationMs: Date.now() - started };
      }
      const location = res.headers.get('location');
      error =
        res.status >= 300 && res.status < 400
          ? `HTTP ${res.status} redirect to ${location ?? '(no location)'}; smoke checks do not follow redirects, point smokeUrl/smokePath at the final URL`
          : `HTTP ${res.status}${body ? ` "${body}"` : ''}`;
    } catch (err) {
      status = undefined;
      const e = err as Error & { cause?: { code?: string; message?: string } };
      error =
        e.name === 'TimeoutError' || e.name === 'AbortError'
          ? `no response within ${settings.timeoutSeconds} s`
          : `${e.cause?.code ?? e.name}: ${e.cause?.message ?? e.message}`;
    }
    if (attempt < settings.attempts) await deps.sleep(settings.intervalSeconds * 1000);
  }
  return {
    service,
    url,
    passed: false,
    attempts: settings.attempts,
    status,
    error,
    durationMs: Date.now() - started,
  };
}

/**
 * Smoke-checks every service of the release in the environment, in parallel.
 * @throws VerifyFailed naming each failing service, its URL, the last answer and how many attempts.
 */
export async function verifyRelease(input: EnvironmentImagesInput, deps: VerifyDeps): Promise<VerifyResult> {
  const { environment, release } = input;
  const settings = {
    attempts: deps.config.verify.attempts,
    intervalSeconds: deps.config.verify.interval,
    timeoutSeconds: deps.config.verify.requestTimeout,
  };
  const services = [...new Set(input.images.map((i) => i.service))];
  const checks = await Promise.all(
    services.map(async (service) => {
      const ssm = deps.environmentSsm?.(environment) ?? deps.ssm;
      const contract = await loadContract(environment, service, { ...deps, ssm });
      return runSmokeCheck(service, smokeUrl(contract.smokeUrl, contract.smokePath), settings, deps);
    }),
  );
  const failed = checks.filter((c) => !c.passed);
  logger.info('verify finished', {
    releaseId: release.id,
    environment,
    checks: checks.map((c) => ({
      serviceName: c.service,
      passed: c.passed,
      attempts: c.attempts,
      status: c.status,
    })),
  });
  if (failed.length > 0) {
    const detail = failed
      .map(
        (c) =>
          `${c.service}: GET ${c.url} → ${c.error ?? 'failed'} after ${c.attempts} attempt${c.attempts === 1 ? '' : 's'}`,
      )
      .join('; ');
    const passed = checks.filter((c) => c.passed).map((c) => c.service);
    throw new VerifyFailed(
      `Verify ${environment} failed for ${failed.length} of ${checks.length} services of release ${release.id}: ${detail}` +
        (passed.length ? `. Passed: ${passed.join(', ')}` : '') +
        `. Shipgate rolls the release back in ${environment}.`,
    );
  }
  const at = deps.now().toISOString();
  for (const service of services) {
    await markVerified(environment, service, release.id, at, deps);
  }
  return { passed: true, checks };
}
