import * as z from './zod';

/** ECS lifecycle stages a deployment lifecycle hook may run at (DeploymentLifecycleHook.lifecycleStages). */
export const HOOK_LIFECYCLE_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
] as const;

/** One lifecycle stage a hook may run at. */
export type HookLifecycleStage = (typeof HOOK_LIFECYCLE_STAGES)[number];

const arn = (service: string) =>
  z.string().check(z.regex(new RegExp(`^arn:aws[\\w-]*:${service}:`), `expected an ${service} ARN`));

/**
 * The deploy contract Terraform publishes for each (environment, service) as the SSM parameter
 * `<contractsPrefix>/<environment>/services/<service>` (JSON). Shipgate reads it at run time and never
 * creates environments. `terraform/modules/deploy-contract` writes exactly these keys; a test checks the two
 * agree (see `DEPLOY_CONTRACT_KEYS`).
 */
export const deployContractSchema = z.looseObject({
  /** Contract format version. */
  version: z.literal(1),
  /** ECS cluster name or ARN. */
  cluster: z.string().check(z.minLength(1)),
  /** ECS service name or ARN. */
  service: z.string().check(z.minLength(1)),
  /** Container in the task definition whose image Shipgate replaces. */
  containerName: z.string().check(z.minLength(1)),
  /** Port the container listens on (used by CodeDeploy AppSpecs). */
  containerPort: z.number().check(z.int(), z.gte(1), z.lte(65535)),
  /** How the infrastructure is set up to roll out; config may refine percentages and bake time. */
  strategy: z.enum(['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY', 'CODEDEPLOY']),
  /** CodeDeploy application and deployment group, when `strategy` is CODEDEPLOY. */
  codeDeploy: z._default(
    z.nullable(
      z.object({
        application: z.string().check(z.minLength(1)),
        deploymentGroup: z.string().check(z.minLength(1)),
        deploymentConfig: z.optional(z.string().check(z.minLength(1))),
        /** Optional AppSpec lifecycle hook Lambdas (function name or ARN) per ECS hook. */
        hooks: z.optional(
          z.partialRecord(
            z.enum([
              'BeforeInstall',
              'AfterInstall',
              'AfterAllowTestTraffic',
              'BeforeAllowTraffic',
              'AfterAllowTraffic',
            ]),
            z.string().check(z.minLength(1)),
          ),
        ),
      }),
    ),
    null,
  ),
  /**
   * What ECS needs to shift traffic for BLUE_GREEN, LINEAR and CANARY (null for ROLLING / CODEDEPLOY):
   * the alternate (green) target group, the production and test listener rules, the role ECS assumes to
   * move ALB traffic, and the test listener's base URL, where the test-traffic smoke check runs.
   */
  blueGreen: z._default(
    z.nullable(
      z.object({
        alternateTargetGroupArn: arn('elasticloadbalancing'),
        productionListenerRuleArn: arn('elasticloadbalancing'),
        testListenerRuleArn: arn('elasticloadbalancing'),
        infrastructureRoleArn: arn('iam'),
        testUrl: z.url(),
      }),
    ),
    null,
  ),
  /** Lifecycle hooks the infrastructure adds (Shipgate adds its own verify hook for the blue/green family). */
  lifecycleHooks: z._default(
    z.array(
      z.object({
        hookTargetArn: arn('lambda'),
        roleArn: arn('iam'),
        lifecycleStages: z.array(z.enum(HOOK_LIFECYCLE_STAGES)).check(z.minLength(1)),
      }),
    ),
    [],
  ),
  /** Base URL of the service as reachable by the Verify step (ALB listener). */
  smokeUrl: z.url(),
  /** Path of the readiness check, e.g. `/readyz`. */
  smokePath: z._default(z.string().check(z.startsWith('/')), '/readyz'),
  /** CloudWatch alarms that roll a deployment back. */
  alarms: z._default(z.array(z.string().check(z.minLength(1))), []),
  /** ECR repository name of the service's images. */
  repository: z.string().check(z.minLength(1)),
});

/** A validated deploy contract. */
export type DeployContract = z.infer<typeof deployContractSchema>;

/** Every key of the contract document, in a stable order (shared with the Terraform tests). */
export const DEPLOY_CONTRACT_KEYS = Object.keys(deployContractSchema.shape).sort();

/**
 * SSM parameter name of a contract.
 * @example contractParameterName('/shipgate', 'staging', 'api-gateway') // '/shipgate/staging/services/api-gateway'
 */
export function contractParameterName(prefix: string, environment: string, service: string): string {
  return `${prefix}/${environment}/services/${service}`;
}
