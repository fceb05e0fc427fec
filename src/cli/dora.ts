import Table from 'cli-table3';
import type { DoraFigures, DoraReport } from '../../lambdas/domain/ledger/dora';
import { apiRequest, type ApiRequestOptions } from './api-client';
import { apiBaseUrl, parseCommand, unreachableHint, URL_HELP, URL_OPTION } from './args';

const USAGE = `Usage: shipgate dora [--environment <name>] [--window <30d|12h>] [--service <name>] [--url <API URL>] [--json]

Prints the DORA figures of one environment over a window ending now, overall and per service, with each
figure's performance level (DORA 2024 report clusters), from the Shipgate HTTP API
(GET /api/metrics/dora). Definitions: https://dora.dev/guides/dora-metrics-four-keys/

--environment  environment (default production)
--window       how far back: days or hours, 1h to 365d (default 30d)
--service      one service only
${URL_HELP.replace(/^--url {7}/, '--url          ').replace(/\n {12}/, '\n               ')}
--json         print the API's JSON as it is

In AWS the /api routes require IAM (SigV4 with the AWS SDK's usual credentials), as for shipgate releases.
`;

/** A duration in seconds as people read it: `45s`, `12m`, `3.5h`, `2.1d`; `–` when unknown. */
export function humanDuration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86_400).toFixed(1)}d`;
}

const pct = (rate: number | null) => (rate === null ? '–' : `${(rate * 100).toFixed(1)}%`);
const level = (l: string | null) => l ?? '–';

/** The rows of one scope: figure, value, level. */
function rows(f: DoraFigures): string[][] {
  return [
    [
      'Deployment frequency',
      `${f.deploymentFrequency.deployments} deploys (${f.deploymentFrequency.perWeek.toFixed(1)}/week)`,
      level(f.deploymentFrequency.level),
    ],
    [
      'Change lead time',
      `median ${humanDuration(f.leadTime.medianSeconds)}, p90 ${humanDuration(f.leadTime.p90Seconds)} (${f.leadTime.count} commits)`,
      level(f.leadTime.level),
    ],
    [
      'Change failure rate',
      `${pct(f.changeFailureRate.rate)} (${f.changeFailureRate.failedDeployments} of ${f.changeFailureRate.deployments})`,
      level(f.changeFailureRate.level),
    ],
    [
      'Recovery time',
      `median ${humanDuration(f.recoveryTime.medianSeconds)}, p90 ${humanDuration(f.recoveryTime.p90Seconds)}` +
        ` (${f.recoveryTime.count} recovered${f.recoveryTime.unrecovered ? `, ${f.recoveryTime.unrecovered} not yet` : ''})`,
      level(f.recoveryTime.level),
    ],
    [
      'Rework rate',
      `${pct(f.reworkRate.rate)} (${f.reworkRate.unplannedDeployments} unplanned of ${f.reworkRate.deployments})`,
      'no levels',
    ],
  ];
}

/** The report as terminal tables (no colours, so output is the same in a pipe and a terminal). */
export function formatDora(report: DoraReport): string {
  const style = { head: [], border: [] };
  const scopes: [string, DoraFigures][] = [
    ['all services', report.overall.figures],
    ...Object.entries(report.services).map(([name, s]): [string, DoraFigures] => [name, s.figures]),
  ];
  const parts = [
    `DORA figures for ${report.environment}, ${report.window.label ?? `${report.window.days}d`} (${report.window.from} – ${report.window.to}); ${report.entries} ledger entries`,
  ];
  for (const [name, figures] of scopes) {
    const table = new Table({ head: [name, 'value', 'level'], style });
    table.push(...rows(figures));
    parts.push(table.toString());
  }
  if (report.beforeLedger.length) {
    parts.push(
      `${report.beforeLedger.length} release(s) in this window were recorded before the ledger existed and are not counted ("before ledger"): ` +
        report.beforeLedger
          .slice(0, 5)
          .map((r) => r.releaseId)
          .join(', ') +
        (report.beforeLedger.length > 5 ? ', …' : ''),
    );
  }
  parts.push(`Levels: ${report.levelsSource}. Definitions: ${report.definitions}`);
  return `${parts.join('\n')}\n`;
}

/**
 * `shipgate dora`: the DORA figures from the HTTP API as a table. Exit codes: 0 answered, 1 failed, 2 usage.
 * @example await run(['--environment', 'production', '--window', '30d']);
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
  let json: boolean;
  const query = new URLSearchParams();
  try {
    const { values } = parseCommand(args, {
      ...URL_OPTION,
      environment: { type: 'string' },
      window: { type: 'string' },
      service: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help) {
      out(USAGE);
      return 0;
    }
    baseUrl = apiBaseUrl(values.url, env);
    json = values.json ?? false;
    query.set('environment', values.environment ?? 'production');
    query.set('window', values.window ?? '30d');
    if (values.service) query.set('service', values.service);
  } catch (e) {
    err(`shipgate dora: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const res = await apiRequest({
      baseUrl,
      path: `/api/metrics/dora?${query.toString()}`,
      env,
      ...options.request,
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const message = (body as { error?: string } | undefined)?.error ?? text.slice(0, 200);
      const hint =
        res.status === 403
          ? ' (the /api routes require IAM: are your AWS credentials allowed execute-api:Invoke on the ApiRoutesInvokeArn output?)'
          : '';
      err(`shipgate dora: ${res.status} ${message}${hint}\n`);
      return 1;
    }
    out(json ? `${JSON.stringify(body, null, 2)}\n` : formatDora(body as DoraReport));
    return 0;
  } catch (e) {
    err(`shipgate dora: ${(e as Error).message}${unreachableHint(baseUrl, e)}\n`);
    return 1;
  }
}
