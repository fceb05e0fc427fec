import { apiRequest, type ApiRequestOptions } from './api-client';
import { apiBaseUrl, parseCommand, unreachableHint, URL_HELP, URL_OPTION, UsageError } from './args';

const USAGE = `Usage: shipgate releases [<release id>] [--url <API URL>] [--limit <1..100>] [--json]

Lists the newest releases (state, current step, per-environment outcome), or shows one release, from the
Shipgate HTTP API (GET /api/releases, /api/releases/<id>).

${URL_HELP}
--limit     how many releases to list (default 20)
--json      print the API's JSON as it is

In AWS the /api routes require IAM: the request is signed with SigV4 using the AWS SDK's usual credentials
(AWS_PROFILE, environment variables, SSO, instance role), which need execute-api:Invoke on the stack's
ApiRoutesInvokeArn output. The region comes from the execute-api host name, else AWS_REGION. Requests to a
loopback address (the sandbox) are sent unsigned.
`;

/** One release as the API answers it (the fields printed here). */
interface ReleaseLine {
  id: string;
  status: string;
  currentStep: string | null;
  createdAt: string;
  environments: { name: string; status: string }[];
}

function line(r: ReleaseLine): string {
  const envs = r.environments.map((e) => `${e.name}: ${e.status}`).join(', ');
  return `${r.id}  ${r.status}${r.currentStep ? ` at "${r.currentStep}"` : ''}  (${envs}; created ${r.createdAt})`;
}

/**
 * `shipgate releases [<id>]`: release status from the HTTP API, signed with SigV4 in AWS.
 * Exit codes: 0 answered, 1 failed (including 403 from IAM), 2 usage.
 * @example await run(['--url', 'https://abc123.execute-api.eu-west-1.amazonaws.com', '--limit', '5']);
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
  let parsed;
  try {
    parsed = parseCommand(args, { ...URL_OPTION, limit: { type: 'string' }, json: { type: 'boolean' } }, 1);
    if (parsed.values.help) {
      out(USAGE);
      return 0;
    }
    baseUrl = apiBaseUrl(parsed.values.url, env);
    const limit = parsed.values.limit;
    if (limit !== undefined && !/^\d+$/.test(limit))
      throw new UsageError(`--limit must be a number from 1 to 100, received "${limit}"`);
  } catch (e) {
    err(`shipgate releases: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const limit = parsed.values.limit;
  const [id] = parsed.positionals;
  const path = id
    ? `/api/releases/${encodeURIComponent(id)}`
    : `/api/releases${limit ? `?limit=${limit}` : ''}`;
  try {
    const res = await apiRequest({ baseUrl, path, env, ...options.request });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const message =
        (body as { error?: string; message?: string } | undefined)?.error ??
        (body as { message?: string } | undefined)?.message ??
        text.slice(0, 200);
      const hint =
        res.status === 403
          ? ' (the /api routes require IAM: are your AWS credentials allowed execute-api:Invoke on the ApiRoutesInvokeArn output?)'
          : '';
      err(`shipgate releases: ${res.status} ${message}${hint}\n`);
      return 1;
    }
    if (parsed.values.json) {
      out(`${JSON.stringify(body, null, 2)}\n`);
    } else if (id) {
      out(`${line(body as ReleaseLine)}\n`);
    } else {
      const list = (body as { releases: ReleaseLine[] }).releases;
      out(list.length ? `${list.map(line).join('\n')}\n` : 'No releases yet.\n');
    }
    return 0;
  } catch (e) {
    err(`shipgate releases: ${(e as Error).message}${unreachableHint(baseUrl, e)}\n`);
    return 1;
  }
}
