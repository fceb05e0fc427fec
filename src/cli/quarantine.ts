import { ShipgateError } from '../../lambdas/shared/errors';
import type { QuarantineRecord } from '../../lambdas/domain/ledger/quarantine';
import { describeQuarantine } from '../../lambdas/domain/ledger/quarantine';
import { apiRequest, type ApiRequestOptions } from './api-client';

const USAGE = `Usage: shipgate quarantine list [--url <API URL>] [--json]
       shipgate quarantine lift --service <name> --digest <sha256:…> --reason "<why>" [--by <name>] [--url <API URL>]

A digest rolled back (by ECS, by Shipgate or by hand) in any environment is quarantined for its service:
"Resolve release" refuses it. "lift" records who lifted it, when and why (POST /api/quarantines/lift); the
digest then releases again. In AWS the caller is the IAM identity that signs the request; in the sandbox,
--by (default: $USER).

--url       base URL of the API (default: SHIPGATE_API_URL, else http://127.0.0.1:3000)
`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new ShipgateError(`${name} needs a value`);
  return value;
}

const line = (q: QuarantineRecord) =>
  `${q.service}  ${q.digest}  ${q.status.toUpperCase()}  ${describeQuarantine(q)}` +
  (q.status === 'lifted' && q.lifts.length
    ? `; lifted by ${q.lifts[q.lifts.length - 1].by} at ${q.lifts[q.lifts.length - 1].at}: ${q.lifts[q.lifts.length - 1].reason}`
    : '');

/**
 * `shipgate quarantine list|lift`. Exit codes: 0 done, 1 refused or failed, 2 usage.
 * @example await run(['lift', '--service', 'inventory-app', '--digest', 'sha256:…', '--reason', 'fixed config']);
 */
export async function run(
  args: string[],
  options: {
    request?: Partial<ApiRequestOptions>;
    env?: NodeJS.ProcessEnv;
    stdout?: (s: string) => void;
    stderr?: (s: string) => void;
  } = {},
): Promise<number> {
  const out = options.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = options.stderr ?? ((s: string) => void process.stderr.write(s));
  const env = options.env ?? process.env;
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h' || rest.includes('--help')) {
    out(USAGE);
    return sub ? 0 : 2;
  }
  let baseUrl: string;
  let request: { method: string; path: string; body?: string };
  try {
    const valued = ['--url', '--service', '--digest', '--reason', '--by'];
    for (let i = 0; i < rest.length; i++) {
      if (valued.includes(rest[i])) i++;
      else if (rest[i] !== '--json') throw new ShipgateError(`unknown argument ${rest[i]}`);
    }
    baseUrl = option(rest, '--url') ?? env.SHIPGATE_API_URL ?? 'http://127.0.0.1:3000';
    new URL(baseUrl);
    if (sub === 'list') request = { method: 'GET', path: '/api/quarantines' };
    else if (sub === 'lift') {
      const service = option(rest, '--service');
      const digest = option(rest, '--digest');
      const reason = option(rest, '--reason');
      if (!service || !digest || !reason)
        throw new ShipgateError('lift needs --service, --digest and --reason');
      const local = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(baseUrl).hostname);
      const by = option(rest, '--by') ?? (local ? env.USER || 'sandbox-user' : undefined);
      request = {
        method: 'POST',
        path: '/api/quarantines/lift',
        body: JSON.stringify({ service, digest, reason, ...(by ? { by } : {}) }),
      };
    } else throw new ShipgateError(`unknown sub-command "${sub}"`);
  } catch (e) {
    err(`shipgate quarantine: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const res = await apiRequest({ baseUrl, ...request, env, ...options.request });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      err(
        `shipgate quarantine: ${res.status} ${(body as { error?: string } | undefined)?.error ?? text.slice(0, 200)}\n`,
      );
      return 1;
    }
    if (rest.includes('--json')) out(`${JSON.stringify(body, null, 2)}\n`);
    else if (sub === 'list') {
      const list = (body as { quarantines: QuarantineRecord[] }).quarantines;
      out(list.length ? `${list.map(line).join('\n')}\n` : 'No digest is quarantined.\n');
    } else out(`Lifted: ${line((body as { quarantine: QuarantineRecord }).quarantine)}\n`);
    return 0;
  } catch (e) {
    err(`shipgate quarantine: ${(e as Error).message}\n`);
    return 1;
  }
}
