import type { ShipgateConfig } from '../lambdas/shared/config';
import { FUNCTIONS_ROLE } from './aws/accounts';
import type { AccountEmulators, Emulators } from './aws/emulators';
import { SANDBOX_ACCOUNT, SANDBOX_REGION } from './aws/protocol';

/**
 * What an environment in its own account needs, created the way Terraform creates it in AWS
 * (terraform/modules/shipgate-deploy-role in the environment's account, Shipgate's stack in its own):
 * - the deploy role, trusting only Shipgate's functions (their role in 000000000000) and the operator who runs
 *   `shipgate contract` and `shipgate doctor` (the CLI's user), and requiring the environment's external id;
 * - a rule on the account's default bus that forwards ECS and CodeDeploy deployment events to Shipgate's bus;
 * - a statement in Shipgate's bus policy that accepts events from the account;
 * - a statement in each service repository's policy that lets the account pull the images.
 * Re-applied at every start, as `terraform apply` would (a rule or statement removed by hand comes back).
 */

/** The operator principal the deploy role trusts besides the functions: the `shipgate` CLI's user. */
export const OPERATOR_PRINCIPAL = `arn:aws:iam::${SANDBOX_ACCOUNT}:user/shipgate-cli`;

/** Name of the forwarding rule in an environment's account. */
export const FORWARD_RULE = 'shipgate-forward-deployment-events';

/** The event pattern of the forwarding rule: what `rollout-events` consumes. */
export const FORWARD_PATTERN = {
  source: ['aws.ecs', 'aws.codedeploy'],
  'detail-type': [
    'ECS Deployment State Change',
    'ECS Hook State Change',
    'CodeDeploy Deployment State-change Notification',
  ],
};

/** Sid of Shipgate's bus policy statement for an environment's account. */
export const busStatementId = (environment: string): string => `shipgate-environment-${environment}`;

/** Creates the cross-account topology of every environment with `aws` (idempotent). */
export function seedAccounts(config: ShipgateConfig, emulators: Emulators): void {
  const foreign = config.environments.filter((e) => e.aws && e.aws.account !== SANDBOX_ACCOUNT);
  for (const env of foreign) {
    const aws = env.aws!;
    emulators.accounts.putRole({
      arn: aws.deployRole,
      // Shipgate's functions, and the operator running `shipgate contract`/`doctor` (the module's
      // `operator_principal_arns`): in the sandbox, the CLI's user.
      trusted: [`arn:aws:iam::${SANDBOX_ACCOUNT}:role/${FUNCTIONS_ROLE}`, OPERATOR_PRINCIPAL],
      externalId: aws.externalId,
      maxSessionDuration: 3600,
    });
    emulators.events.putRule(aws.account, {
      Name: FORWARD_RULE,
      EventPattern: JSON.stringify(FORWARD_PATTERN),
      Description: "Forwards ECS and CodeDeploy deployment events to Shipgate's event bus",
    });
    emulators.events.putTargets(aws.account, {
      Rule: FORWARD_RULE,
      Targets: [
        {
          Id: 'shipgate',
          Arn: `arn:aws:events:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}:event-bus/default`,
          RoleArn: `arn:aws:iam::${aws.account}:role/shipgate-event-forwarding`,
        },
      ],
    });
    emulators.events.putPermission(SANDBOX_ACCOUNT, {
      StatementId: busStatementId(env.name),
      Principal: aws.account,
      Action: 'events:PutEvents',
    });
  }
  const pullers = [...new Set(foreign.map((e) => e.aws!.account))];
  if (!pullers.length) return;
  for (const svc of Object.values(config.services)) {
    emulators.ecr.operations.SetRepositoryPolicy({
      repositoryName: svc.repository,
      policyText: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ShipgateEnvironmentsPull',
            Effect: 'Allow',
            Principal: { AWS: pullers.map((a) => `arn:aws:iam::${a}:root`) },
            Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
          },
        ],
      }),
    });
  }
}

/**
 * The emulators of the account an environment lives in: its `aws.account`, else Shipgate's own.
 * @example ofEnvironment(config, emulators, 'production').ecs.findService('shipgate-production', 'billing-app')
 */
export function ofEnvironment(
  config: Pick<ShipgateConfig, 'environments'>,
  emulators: Pick<Emulators, 'inAccount'>,
  environment: string,
): AccountEmulators {
  const env = config.environments.find((e) => e.name === environment);
  return emulators.inAccount(env?.aws?.account ?? SANDBOX_ACCOUNT);
}
