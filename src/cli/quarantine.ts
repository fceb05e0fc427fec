import type { QuarantineRecord } from '../../lambdas/domain/ledger/quarantine';
import { describeQuarantine } from '../../lambdas/domain/ledger/quarantine';
import { apiRequest, type ApiRequestOptions } from './api-client';
import { apiBaseUrl, parseCommand, unreachableHint, URL_HELP, URL_OPTION, UsageError } from './args';
import { cliActor } from './actor';

const USAGE = `Usage: shipgate quarantine list [--url <API URL>] [--json]
       shipgate quarantine lift --service <name> --digest <sha256:…> --reason "<why>" [--by <name>] [--url <API URL>]

A digest rolled back (by ECS, by Shipgate or by hand) in any environment is quarantined for its service:
"Resolve release" refuses it. "lift" records who lifted it, when and why (POST /api/quarantines/lift); the
digest then releases again. In AWS the caller is the IAM identity that signs the request; in the sandbox,
--by (default: your login name, as shipgate rollback uses).

${URL_HELP}
--json      print the API's JSON as it is
`;

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
  let baseUrl: string;
  let request: { method: string; path: string; body?: string };
  let sub: string | undefined;
  let json: boolean;
  try {
    const { values, positionals } = parseCommand(
      args,
      {
        ...URL_OPTION,
        service: { type: 'string' },
        digest: { type: 'string' },
        reason: { type: 'string' },
        by: { type: 'string' },
        json: { type: 'boolean' },
      },
      1,
    );
    sub = positionals[0];
    if (values.help || !sub) {
      out(USAGE);
      return values.help ? 0 : 2;
    }
    json = values.json ?? false;
    baseUrl = apiBaseUrl(values.url, env);
    if (sub === 'list') request = { method: 'GET', path: '/api/quarantines' };
    else if (sub === 'lift') {
      const { service, digest, reason } = values;
      if (!service || !digest || !reason) throw new UsageError('lift needs --service, --digest and --reason');
      const local = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(baseUrl).hostname);
      const by = values.by ?? (local ? cliActor(env) : undefined);
      request = {
        method: 'POST',
        path: '/api/quarantines/lift',
        body: JSON.stringify({ service, digest, reason, ...(by ? { by } : {}) }),
      };
    } else throw new UsageError(`unknown sub-command "${sub}" (list or lift)`);
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
    if (json) out(`${JSON.stringify(body, null, 2)}\n`);
    else if (sub === 'list') {
      const list = (body as { quarantines: QuarantineRecord[] }).quarantines;
      out(list.length ? `${list.map(line).join('\n')}\n` : 'No digest is quarantined.\n');
    } else out(`Lifted: ${line((body as { quarantine: QuarantineRecord }).quarantine)}\n`);
    return 0;
  } catch (e) {
    err(`shipgate quarantine: ${(e as Error).message}${unreachableHint(baseUrl, e)}\n`);
    return 1;
  }
}
