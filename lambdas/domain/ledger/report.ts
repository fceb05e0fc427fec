import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb as defaultDdb } from '../../shared/clients/dynamodb';
import { getConfig, type ShipgateConfig } from '../../shared/config';
import { tableName } from '../../shared/env';
import { BadRequestError } from '../../shared/errors';
import { TABLE_KEYS } from '../../shared/table';
import { computeDora, type DoraReport } from './dora';
import { ledgerStartedAt, listLedgerEntries, type LedgerStoreDeps } from './store';
import type { BeforeLedgerRelease } from './types';

/**
 * The DORA report the API serves and the CLI prints: ledger entries of one environment over a window ending
 * now, through {@link computeDora}, plus the releases recorded before the ledger existed (listed from the
 * release store, never migrated).
 */

/** Longest window served. */
export const MAX_WINDOW_DAYS = 365;

/**
 * Parses a window such as `30d` or `12h` into milliseconds.
 * @throws BadRequestError for anything else, or outside 1h–365d.
 */
export function parseWindow(value: string): number {
  const m = /^(\d{1,4})([dh])$/.exec(value.trim());
  const ms = m ? Number(m[1]) * (m[2] === 'd' ? 86_400_000 : 3_600_000) : NaN;
  if (!m || ms < 3_600_000 || ms > MAX_WINDOW_DAYS * 86_400_000) {
    throw new BadRequestError(
      `window must be a number of days or hours such as "30d" or "12h", from 1h to ${MAX_WINDOW_DAYS}d; received "${value}"`,
    );
  }
  return ms;
}

/** Dependencies of {@link doraReport}. */
export interface ReportDeps extends LedgerStoreDeps {
  config?: ShipgateConfig;
  now?: () => Date;
}

/**
 * Releases created in [from, to) before the earliest release the ledger holds. None while the ledger is
 * empty: on a new installation the first release is about to start it, not "before" it.
 */
export async function releasesBeforeLedger(
  from: string,
  to: string,
  { ddb = defaultDdb, table = tableName() }: LedgerStoreDeps = {},
): Promise<BeforeLedgerRelease[]> {
  const startedAt = await ledgerStartedAt({ ddb, table });
  if (!startedAt) return [];
  const until = startedAt < to ? startedAt : to;
  if (until <= from) return [];
  const out: BeforeLedgerRelease[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new QueryCommand({
        TableName: table,
        IndexName: TABLE_KEYS.gsi1.name,
        // Release items sort by `<createdAt>#<id>` under `RELEASES` (lambdas/domain/releases/store.ts).
        KeyConditionExpression: '#g = :g AND #s BETWEEN :from AND :until',
        ExpressionAttributeNames: { '#g': TABLE_KEYS.gsi1.partitionKey, '#s': TABLE_KEYS.gsi1.sortKey },
        ExpressionAttributeValues: { ':g': 'RELEASES', ':from': from, ':until': until },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const createdAt = String(item.createdAt ?? '');
      if (createdAt < from || createdAt >= until) continue;
      out.push({
        releaseId: String(item.id),
        createdAt,
        status: String(item.status),
        services: ((item.release as { services?: string[] } | undefined)?.services ?? []).map(String),
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return out;
}

/**
 * The DORA report of `environment` over the `window` ending now.
 * @throws BadRequestError for an unknown environment or service, or a bad window.
 * @example const report = await doraReport({ environment: 'production', window: '30d' });
 */
export async function doraReport(
  query: { environment: string; window: string; service?: string },
  deps: ReportDeps = {},
): Promise<DoraReport> {
  const config = deps.config ?? getConfig();
  const envs = config.environments.map((e) => e.name);
  if (!envs.includes(query.environment)) {
    throw new BadRequestError(
      `environment must be one of ${envs.join(', ')}; received "${query.environment}"`,
    );
  }
  if (query.service !== undefined && !Object.hasOwn(config.services, query.service)) {
    throw new BadRequestError(
      `service must be one of ${Object.keys(config.services).join(', ')}; received "${query.service}"`,
    );
  }
  const ms = parseWindow(query.window);
  const now = (deps.now ?? (() => new Date()))();
  const to = now.toISOString();
  const from = new Date(now.getTime() - ms).toISOString();
  const store: LedgerStoreDeps = {
    ...(deps.ddb ? { ddb: deps.ddb } : {}),
    ...(deps.table ? { table: deps.table } : {}),
  };
  const [entries, beforeLedger] = await Promise.all([
    listLedgerEntries(query.environment, from, to, store),
    releasesBeforeLedger(from, to, store),
  ]);
  const report = computeDora(entries, {
    environment: query.environment,
    from,
    to,
    label: query.window.trim(),
    ...(query.service ? { services: [query.service] } : {}),
    generatedAt: to,
  });
  report.beforeLedger = query.service
    ? beforeLedger.filter((r) => r.services.includes(query.service!))
    : beforeLedger;
  return report;
}
