import { ArnFormat, Lazy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DEPLOY_ROLE_ACTIONS_ENV } from '../../lambdas/shared/clients/assume-role';
import type { EnvironmentAws, ShipgateConfig } from '../../lambdas/shared/config';
import { ROLLOUT_EVENT_PATTERNS } from './rollout-event-rules';

/** A function that may assume deploy roles: its role, and where its environment variables go. */
export type DeployRoleCaller = { readonly role?: iam.IRole } & iam.IGrantable & {
    addEnvironment?(key: string, value: string): unknown;
  };

/** Properties of {@link EnvironmentAccounts}. */
export interface EnvironmentAccountsProps {
  /** The validated configuration: each environment's `aws` says whether it lives in another account. */
  readonly config: ShipgateConfig;
}

/**
 * The role ECS of an environment's own account invokes Shipgate's verify hook with: created next to the
 * deploy role by terraform/modules/shipgate-deploy-role, named after it (`<deploy role name>-ecs-hooks`, same
 * path). UpdateService can only pass a role of the service's own account, so it cannot be Shipgate's.
 * @example ecsHookRoleArn('arn:aws:iam::222222222222:role/shipgate-deploy') // '…:role/shipgate-deploy-ecs-hooks'
 */
export function ecsHookRoleArn(deployRole: string): string {
  return `${deployRole}-ecs-hooks`;
}

/**
 * Where each environment lives and what that means for IAM. An environment without `aws` lives in Shipgate's
 * own account and region: the functions get today's grants there (ECS, SSM, CloudWatch, CodeDeploy, scoped by
 * `stack.formatArn`). An environment with `aws` lives in another account: the functions that act on it get
 * `sts:AssumeRole` on exactly its `deployRole` and nothing in Shipgate's account for it (the deploy role's own
 * policy, terraform/modules/shipgate-deploy-role, says what Shipgate may do there). Its ECS events reach
 * Shipgate's default event bus through a forwarding rule in that account, which the bus policy here admits.
 */
export class EnvironmentAccounts extends Construct {
  /** Names of the environments in Shipgate's own account, config order. */
  readonly local: readonly string[];
  /** The environments in other accounts, config order. */
  readonly foreign: ReadonlyArray<{ readonly name: string; readonly aws: EnvironmentAws }>;
  /** ARN of the event bus the environment accounts forward their ECS and CodeDeploy events to. */
  readonly eventBusArn: string;
  /** One bus policy statement per environment account. */
  readonly busPolicies: readonly events.CfnEventBusPolicy[];
  /** The `sts:AssumeRole` statement of each function granted one (one statement per role, grown in place). */
  private readonly assumeStatements = new Map<iam.IPrincipal, iam.PolicyStatement>();
  /** The roles that may assume each foreign environment's deploy role, by environment. */
  private readonly callers = new Map<string, Set<iam.IRole>>();
  /** The actions each function may use with a deploy role: its session policy (see {@link grant}). */
  private readonly sessionActions = new Map<iam.IPrincipal, Set<string>>();

  constructor(scope: Construct, id: string, props: EnvironmentAccountsProps) {
    super(scope, id);
    const { environments } = props.config;
    this.local = environments.filter((e) => !e.aws).map((e) => e.name);
    this.foreign = environments.flatMap((e) => (e.aws ? [{ name: e.name, aws: e.aws }] : []));
    const stack = Stack.of(this);
    // The rules of RolloutEventRules are on the default bus: forwarded events land there too.
    this.eventBusArn = stack.formatArn({
      service: 'events',
      resource: 'event-bus',
      resourceName: 'default',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    // "Sending and receiving events between AWS accounts in EventBridge": the receiving bus allows PutEvents
    // from the sending account; the conditions (AWS's example "Send events to a custom bus in a different
    // account") keep it to the sources and detail types Shipgate's rules match.
    const accounts = [...new Set(this.foreign.map((e) => e.aws.account))];
    this.busPolicies = accounts.map(
      (account) =>
        new events.CfnEventBusPolicy(this, `Bus${account}`, {
          eventBusName: 'default',
          statementId: `shipgate-environment-${account}`,
          statement: {
            Sid: `shipgate-environment-${account}`,
            Effect: 'Allow',
            Principal: { AWS: `arn:${stack.partition}:iam::${account}:root` },
            Action: 'events:PutEvents',
            Resource: this.eventBusArn,
            Condition: {
              'ForAllValues:StringEquals': {
                'events:source': [...new Set(ROLLOUT_EVENT_PATTERNS.map((p) => p.source))],
              },
              StringEquals: { 'events:detail-type': ROLLOUT_EVENT_PATTERNS.map((p) => p.detailType) },
            },
          },
        }),
    );
  }

  /** Whether any of `environments` (default: all) lives in Shipgate's own account. */
  anyLocal(environments?: readonly string[]): boolean {
    return this.local.some((name) => !environments || environments.includes(name));
  }

  /**
   * Grants a function what it needs to act on `environments` (default: all): `local()`'s statements, on
   * Shipgate's own account, when one of them lives there; `sts:AssumeRole` on the deploy role of each one that
   * lives elsewhere (nothing broader: no wildcard, no other role).
   */
  grant(fn: DeployRoleCaller, local: () => iam.PolicyStatement[], environments?: readonly string[]): void {
    if (this.anyLocal(environments)) {
      for (const statement of local()) fn.grantPrincipal.addToPrincipalPolicy(statement);
    }
    if (!this.grantAssumeDeployRoles(fn, environments)) return;
    // One deploy role per environment serves every function, so each function narrows its own sessions to
    // the actions it is granted here (an inline session policy on AssumeRole: the session may do what both
    // the role and that policy allow). The internet-facing HTTP function gets a session that may decide
    // pauses, not one that may deploy.
    let actions = this.sessionActions.get(fn.grantPrincipal);
    if (!actions) {
      const set = new Set<string>();
      actions = set;
      this.sessionActions.set(fn.grantPrincipal, set);
      fn.addEnvironment?.(DEPLOY_ROLE_ACTIONS_ENV, Lazy.string({ produce: () => [...set].sort().join(',') }));
    }
    for (const statement of local()) for (const action of statement.actions) actions.add(action);
  }

  /** `sts:AssumeRole` on the deploy roles of those of `environments` (default: all) in other accounts. */
  grantAssumeDeployRoles(
    fn: { readonly role?: iam.IRole } & iam.IGrantable,
    environments?: readonly string[],
  ): boolean {
    const targets = this.foreign.filter((e) => !environments || environments.includes(e.name));
    if (targets.length === 0) return false;
    const principal = fn.grantPrincipal;
    let statement = this.assumeStatements.get(principal);
    if (!statement) {
      statement = new iam.PolicyStatement({
        sid: 'AssumeEnvironmentDeployRoles',
        actions: ['sts:AssumeRole'],
      });
      this.assumeStatements.set(principal, statement);
      principal.addToPrincipalPolicy(statement);
    }
    for (const { name, aws } of targets) {
      if (!statement.resources.includes(aws.deployRole)) statement.addResources(aws.deployRole);
      if (fn.role) {
        const set = this.callers.get(name) ?? new Set<iam.IRole>();
        set.add(fn.role);
        this.callers.set(name, set);
      }
    }
    return true;
  }

  /**
   * The ARNs of the roles that may assume each foreign environment's deploy role, by environment: what that
   * role's trust policy names (stack output `DeployRoleCallerArns`, terraform/modules/shipgate-deploy-role).
   */
  callerRoleArns(): Record<string, string[]> {
    return Object.fromEntries(
      this.foreign.map(({ name }) => [name, [...(this.callers.get(name) ?? [])].map((r) => r.roleArn)]),
    );
  }
}
