import type { ShipgateConfig } from '../../shared/config';

/**
 * Where an EventBridge event comes from: every event carries the `account` and `region` it happened in, and
 * keeps them when a rule in an environment's account forwards it to Shipgate's bus ("Sending and receiving
 * events between AWS accounts", EventBridge user guide). Two accounts may have a cluster and service of the
 * same name, so a rollout is matched by account and region too, not by the names in the ARN alone.
 */
export interface EventOrigin {
  account?: string;
  region?: string;
}

/**
 * Why an event cannot be about `environment`'s services (`undefined` when it can):
 * - an environment with `aws` takes only events of its account and region (its `region`, or Shipgate's own);
 * - an environment in Shipgate's own account takes none from an account and region that another
 *   environment names (Shipgate's own account id is not in its config).
 * An event without `account` (not from EventBridge) is not checked.
 * @example originMismatch({ account: '111111111111', region: 'eu-west-1' }, 'production', config)
 *   // → 'the event comes from account 111111111111 (eu-west-1), environment "production" is in 222222222222 …'
 */
export function originMismatch(
  origin: EventOrigin,
  environment: string,
  config: Pick<ShipgateConfig, 'environments'>,
  ownRegion = process.env.AWS_REGION,
): string | undefined {
  if (!origin.account) return undefined;
  const regionOf = (region: string | undefined) => region ?? ownRegion;
  const sameRegion = (a: string | undefined, b: string | undefined) => !a || !b || a === b;
  const env = config.environments.find((e) => e.name === environment);
  if (env?.aws) {
    const region = regionOf(env.aws.region);
    if (origin.account === env.aws.account && sameRegion(origin.region, region)) return undefined;
    return `the event comes from account ${origin.account} (${origin.region ?? 'no region'}), but environment "${environment}" is in account ${env.aws.account} (${region ?? "Shipgate's region"})`;
  }
  const other = config.environments.find(
    (e) => e.aws && e.aws.account === origin.account && sameRegion(origin.region, regionOf(e.aws.region)),
  );
  if (!other) return undefined;
  return `the event comes from account ${origin.account} (${origin.region ?? 'no region'}), the account of environment "${other.name}", but the rollout found is in environment "${environment}" (Shipgate's own account)`;
}
