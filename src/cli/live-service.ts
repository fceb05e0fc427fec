import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type Action,
  type Listener,
  type LoadBalancer,
  type Rule,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ShipgateError } from '../../lambdas/shared/errors';

/**
 * Reads a running ECS service and what it is wired to, as `contract init` and `contract check` need it:
 * DescribeServices, its task definition, the target groups and listener rules of its load balancers
 * (production and test listener for ECS blue/green), the listeners and load balancers behind those rules,
 * and the CloudWatch alarms on its deployment configuration or on its metrics.
 */

/** What the live service could not answer (no such service, a rule that does not exist, …). */
export class LiveServiceError extends ShipgateError {
  static override readonly errorName: string = 'LiveServiceError';
}

/** The AWS clients the reads use (one environment's account and region). */
export interface LiveClients {
  ecs: Pick<ECSClient, 'send'>;
  elb: Pick<ElasticLoadBalancingV2Client, 'send'>;
  cloudwatch: Pick<CloudWatchClient, 'send'>;
}

/** Clients for one environment's settings (see `environmentAws`). */
export function liveClients(config: ConstructorParameters<typeof ECSClient>[0] & object): LiveClients {
  return {
    ecs: new ECSClient(config),
    elb: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
  };
}

/** A listener rule (or, for a Network Load Balancer, a listener) with its listener and load balancer. */
export interface ResolvedRule {
  arn: string;
  rule?: Rule;
  listener?: Listener;
  loadBalancer?: LoadBalancer;
  /** Target groups its forward action sends traffic to. */
  targetGroupArns: string[];
}

/** The service with everything it is wired to. */
export interface LiveService {
  service: Service;
  taskDefinition: TaskDefinition;
  /** The target groups of `service.loadBalancers` and of their blue/green alternates, by ARN. */
  targetGroups: Map<string, TargetGroup>;
}

/**
 * The ACTIVE service `service` of `cluster` and its task definition.
 * @throws LiveServiceError when ECS knows no such cluster or active service.
 */
export async function describeLiveService(
  clients: LiveClients,
  cluster: string,
  service: string,
): Promise<LiveService> {
  let out;
  try {
    out = await clients.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  } catch (err) {
    if ((err as Error).name === 'ClusterNotFoundException') {
      throw new LiveServiceError(`ECS has no cluster "${cluster}" in this account and region`, {
        cause: err,
      });
    }
    throw err;
  }
  const svc = out.services?.find((s) => s.status === 'ACTIVE');
  if (!svc) {
    const reason = out.failures?.[0]?.reason ?? (out.services?.[0] ? out.services[0].status : 'MISSING');
    throw new LiveServiceError(
      `ECS cluster "${cluster}" has no active service "${service}" (${reason}); check --cluster and --service (names or ARNs)`,
    );
  }
  if (!svc.taskDefinition) throw new LiveServiceError(`service "${service}" names no task definition`);
  const td = await clients.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }),
  );
  if (!td.taskDefinition) {
    throw new LiveServiceError(`ECS returned no task definition for ${svc.taskDefinition}`);
  }
  const tgArns = new Set<string>();
  for (const lb of svc.loadBalancers ?? []) {
    if (lb.targetGroupArn) tgArns.add(lb.targetGroupArn);
    if (lb.advancedConfiguration?.alternateTargetGroupArn) {
      tgArns.add(lb.advancedConfiguration.alternateTargetGroupArn);
    }
  }
  return {
    service: svc,
    taskDefinition: td.taskDefinition,
    targetGroups: await describeTargetGroups(clients, [...tgArns]),
  };
}

/** DescribeTargetGroups of `arns`; a target group that does not exist is left out of the map. */
export async function describeTargetGroups(
  clients: LiveClients,
  arns: string[],
): Promise<Map<string, TargetGroup>> {
  const found = new Map<string, TargetGroup>();
  // One call per ARN: a single missing one fails the whole call (TargetGroupNotFound), and it should only
  // leave that one out.
  for (const arn of arns) {
    try {
      const out = await clients.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }));
      for (const tg of out.TargetGroups ?? []) if (tg.TargetGroupArn) found.set(tg.TargetGroupArn, tg);
    } catch (err) {
      if ((err as Error).name !== 'TargetGroupNotFoundException') throw err;
    }
  }
  return found;
}

/** Target groups an action list forwards to (an action's own target group ARN, or the weighted ForwardConfig). */
export function forwardedTargetGroups(actions: Action[] | undefined): string[] {
  const arns = new Set<string>();
  for (const a of actions ?? []) {
    if (a.Type !== 'forward') continue;
    if (a.TargetGroupArn) arns.add(a.TargetGroupArn);
    for (const t of a.ForwardConfig?.TargetGroups ?? []) if (t.TargetGroupArn) arns.add(t.TargetGroupArn);
  }
  return [...arns];
}

/**
 * The listener of a listener rule ARN: ELBv2 rule ARNs are the listener's ARN with `listener-rule/` for
 * `listener/` and the rule id appended (`…:listener-rule/app/<lb>/<lb-id>/<listener-id>/<rule-id>`).
 */
export function listenerArnOfRule(ruleArn: string): string | undefined {
  const m = /^(arn:aws[\w-]*:elasticloadbalancing:[^:]*:\d{12}):listener-rule\/(.+)\/[^/]+$/.exec(ruleArn);
  return m ? `${m[1]}:listener/${m[2]}` : undefined;
}

/**
 * A production or test "rule" as ECS names it: a listener rule ARN (Application Load Balancer) or a
 * listener ARN (Network Load Balancer), with the listener and load balancer behind it.
 * @throws LiveServiceError when the rule or listener does not exist.
 */
export async function resolveRule(clients: LiveClients, arn: string): Promise<ResolvedRule> {
  let rule: Rule | undefined;
  let listenerArn: string | undefined = arn;
  if (arn.includes(':listener-rule/')) {
    try {
      rule = (await clients.elb.send(new DescribeRulesCommand({ RuleArns: [arn] }))).Rules?.[0];
    } catch (err) {
      if ((err as Error).name === 'RuleNotFoundException') {
        throw new LiveServiceError(`listener rule ${arn} does not exist`, { cause: err });
      }
      throw err;
    }
    if (!rule) throw new LiveServiceError(`listener rule ${arn} does not exist`);
    listenerArn = listenerArnOfRule(arn);
  }
  let listener: Listener | undefined;
  if (listenerArn) {
    try {
      listener = (await clients.elb.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] })))
        .Listeners?.[0];
    } catch (err) {
      if ((err as Error).name === 'ListenerNotFoundException') {
        throw new LiveServiceError(`listener ${listenerArn} does not exist`, { cause: err });
      }
      throw err;
    }
  }
  let loadBalancer: LoadBalancer | undefined;
  if (listener?.LoadBalancerArn) {
    loadBalancer = (
      await clients.elb.send(
        new DescribeLoadBalancersCommand({ LoadBalancerArns: [listener.LoadBalancerArn] }),
      )
    ).LoadBalancers?.[0];
  }
  return {
    arn,
    rule,
    listener,
    loadBalancer,
    targetGroupArns: forwardedTargetGroups(rule ? rule.Actions : listener?.DefaultActions),
  };
}

/**
 * The base URL a rule serves: the listener's protocol and port on the rule's single host-header value, else
 * on the load balancer's DNS name, with the prefix of a single `path-pattern` ending in `/*`. Undefined when
 * the listener is not HTTP(S) or no host is known.
 */
export function ruleBaseUrl(r: ResolvedRule): string | undefined {
  const protocol = r.listener?.Protocol;
  if (protocol !== 'HTTP' && protocol !== 'HTTPS') return undefined;
  const conditions = r.rule?.Conditions ?? [];
  const hosts = conditions.flatMap((c) =>
    c.Field === 'host-header' ? (c.HostHeaderConfig?.Values ?? c.Values ?? []) : [],
  );
  const paths = conditions.flatMap((c) =>
    c.Field === 'path-pattern' ? (c.PathPatternConfig?.Values ?? c.Values ?? []) : [],
  );
  const host = hosts.length === 1 && !/[*?]/.test(hosts[0]) ? hosts[0] : r.loadBalancer?.DNSName;
  if (!host) return undefined;
  const port = r.listener?.Port;
  const defaultPort = protocol === 'HTTPS' ? 443 : 80;
  const prefix = paths.length === 1 && /^\/[^*?]*\/\*$/.test(paths[0]) ? paths[0].slice(0, -2) : '';
  return `${protocol.toLowerCase()}://${host}${port && port !== defaultPort ? `:${port}` : ''}${prefix}`;
}

/**
 * The URL of the first HTTPS (else HTTP) listener of `loadBalancerArn` whose default action or one of whose
 * rules forwards to `targetGroupArn`; undefined when none does.
 */
export async function resolveListenerUrl(
  clients: LiveClients,
  loadBalancerArn: string,
  targetGroupArn: string,
): Promise<string | undefined> {
  const listeners =
    (await clients.elb.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }))).Listeners ??
    [];
  const loadBalancer = (
    await clients.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [loadBalancerArn] }))
  ).LoadBalancers?.[0];
  const ordered = [...listeners].sort(
    (a, b) =>
      Number(b.Protocol === 'HTTPS') - Number(a.Protocol === 'HTTPS') || (a.Port ?? 0) - (b.Port ?? 0),
  );
  for (const listener of ordered) {
    if (forwardedTargetGroups(listener.DefaultActions).includes(targetGroupArn)) {
      const url = ruleBaseUrl({
        arn: listener.ListenerArn ?? '',
        listener,
        loadBalancer,
        targetGroupArns: [],
      });
      if (url) return url;
    }
    const rules: Rule[] = [];
    let Marker: string | undefined;
    do {
      const page = await clients.elb.send(
        new DescribeRulesCommand({ ListenerArn: listener.ListenerArn, Marker, PageSize: 400 }),
      );
      rules.push(...(page.Rules ?? []));
      Marker = page.NextMarker;
    } while (Marker);
    const rule = rules.find((r) => forwardedTargetGroups(r.Actions).includes(targetGroupArn));
    if (rule) {
      const url = ruleBaseUrl({ arn: rule.RuleArn ?? '', rule, listener, loadBalancer, targetGroupArns: [] });
      if (url) return url;
    }
  }
  return undefined;
}

/**
 * Metric alarms that watch the service: ECS's `ClusterName` + `ServiceName` dimensions, or an ALB
 * `TargetGroup` dimension (`targetgroup/<name>/<id>`) of one of its target groups. Reads every alarm page.
 */
export async function alarmsWatching(
  clients: LiveClients,
  clusterName: string,
  serviceName: string,
  targetGroupArns: string[],
): Promise<MetricAlarm[]> {
  const tgSuffixes = new Set(
    targetGroupArns.map((a) => /:(targetgroup\/.+)$/.exec(a)?.[1]).filter((s): s is string => !!s),
  );
  const matches: MetricAlarm[] = [];
  let NextToken: string | undefined;
  do {
    const page = await clients.cloudwatch.send(new DescribeAlarmsCommand({ NextToken, MaxRecords: 100 }));
    for (const alarm of page.MetricAlarms ?? []) {
      const dims = new Map((alarm.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      const onService = dims.get('ClusterName') === clusterName && dims.get('ServiceName') === serviceName;
      const onTargetGroup = tgSuffixes.has(dims.get('TargetGroup') ?? '');
      if (onService || onTargetGroup) matches.push(alarm);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return matches;
}

/** Names of `names` that CloudWatch does not know (DescribeAlarms by name, 100 at a time). */
export async function missingAlarms(clients: LiveClients, names: string[]): Promise<string[]> {
  const found = new Set<string>();
  for (let i = 0; i < names.length; i += 100) {
    let NextToken: string | undefined;
    do {
      const out = await clients.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: names.slice(i, i + 100),
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          MaxRecords: 100,
          NextToken,
        }),
      );
      for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
        if (a.AlarmName) found.add(a.AlarmName);
      }
      NextToken = out.NextToken;
    } while (NextToken);
  }
  return names.filter((n) => !found.has(n));
}

/** The last part of an ECS name-or-ARN (`arn:…:service/cluster/name` → `name`). */
export function shortName(nameOrArn: string): string {
  return nameOrArn.split('/').pop() ?? nameOrArn;
}

/** The ECR repository of an image reference `<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]`. */
export function ecrRepositoryOf(image: string | undefined): string | undefined {
  const m = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^@:]+)/.exec(image ?? '');
  return m?.[1];
}
