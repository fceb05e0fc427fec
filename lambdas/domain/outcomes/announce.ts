import { ddb as defaultDdb } from '../../shared/clients/dynamodb';
import { getConfig, type ShipgateConfig } from '../../shared/config';
import { tableName } from '../../shared/env';
import { executionUrl, publicUrl } from '../../shared/links';
import { logger } from '../../shared/logger';
import type { Release } from '../../shared/release';
import { getSecret as defaultGetSecret } from '../../shared/secrets';
import { deliverReleaseMessage, slackBot, type DeliverDeps, type DeliverResult } from '../chat/deliver';
import { notifies, outcomeMessage, type ReleaseOutcome } from '../chat/outcomes';

/**
 * Telling people how a release ended: picks the environment's `notify` level, builds the message and
 * delivers it (thread reply + root update with a Slack app, a standalone message quoting the release with
 * an incoming webhook). Never throws.
 */

/** Dependencies of {@link announceOutcome}: chat delivery plus the whole config. */
export interface AnnounceDeps extends DeliverDeps {
  config: ShipgateConfig;
}

/** Process-wide defaults for whatever `overrides` leaves out. */
export function announceDeps(overrides: Partial<AnnounceDeps> = {}): AnnounceDeps {
  const env = overrides.env ?? process.env;
  return {
    config: overrides.config ?? getConfig(),
    getSecret: overrides.getSecret ?? ((name) => defaultGetSecret(name, env)),
    fetch: overrides.fetch ?? ((...args) => fetch(...args)),
    ddb: overrides.ddb ?? defaultDdb,
    table: overrides.table ?? tableName(),
    now: overrides.now ?? (() => new Date()),
    env,
    timeoutMs: overrides.timeoutMs,
  };
}

/** Outcomes after which the release runs no more (the Slack root message is updated to them). */
const FINAL: ReadonlySet<ReleaseOutcome['kind']> = new Set([
  'failed',
  'scan-stopped',
  'superseded',
  'aborted',
]);

/**
 * The `notify` level that applies: the environment's; for an outcome of the release as a whole (scan
 * stop), the most talkative of its environments.
 */
export function levelFor(
  config: Pick<ShipgateConfig, 'environments'>,
  release: Pick<Release, 'environments'>,
  environment: string | undefined,
): 'all' | 'failures' | 'none' {
  const levels = config.environments
    .filter((e) => (environment ? e.name === environment : release.environments.includes(e.name)))
    .map((e) => e.notify ?? 'all');
  if (levels.includes('all') || levels.length === 0) return 'all';
  return levels.includes('failures') ? 'failures' : 'none';
}

/** Options of {@link announceOutcome}. */
export interface AnnounceOptions {
  /** Post at most once per release under this key (`deployed#staging`, `frozen#production#<until>`). */
  once?: string;
  executionArn?: string;
  /** The release's last environment was deployed: update the Slack root to this outcome too. */
  final?: boolean;
}

/**
 * Posts the outcome message of `release` unless its environment's `notify` level filters it out.
 * @example await announceOutcome(release, { kind: 'frozen', environment: 'production', until }, { once }, deps)
 */
export async function announceOutcome(
  release: Release,
  outcome: ReleaseOutcome,
  options: AnnounceOptions,
  deps: AnnounceDeps,
): Promise<DeliverResult | 'filtered'> {
  try {
    const environment = 'environment' in outcome ? outcome.environment : undefined;
    const level = levelFor(deps.config, release, environment);
    if (!notifies(level, outcome)) return 'filtered';
    const subject = {
      release,
      ...(options.executionArn ? { executionUrl: executionUrl(options.executionArn, deps.env) } : {}),
      releaseUrl: `${publicUrl(deps.env)}/api/releases/${encodeURIComponent(release.id)}`,
    };
    const threaded = Boolean(await slackBot(deps));
    const message = outcomeMessage(outcome, subject, { quote: !threaded });
    const final = options.final || FINAL.has(outcome.kind);
    const result = await deliverReleaseMessage(
      release.id,
      message,
      {
        ...(options.once ? { once: options.once } : {}),
        ...(final ? { rootUpdate: outcomeMessage(outcome, subject, { quote: true }) } : {}),
      },
      deps,
    );
    logger.info(`Outcome message ${outcome.kind}: ${result}`, { releaseId: release.id, environment });
    return result;
  } catch (err) {
    logger.warn('Outcome message not posted', { releaseId: release.id, error: (err as Error)?.name });
    return 'failed';
  }
}
