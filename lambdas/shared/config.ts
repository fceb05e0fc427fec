import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from './zod';
import { durationSchema } from './duration';
import { ConfigError } from './errors';

/**
 * The one Shipgate configuration file (`shipgate.config.yaml`, path overridable with `SHIPGATE_CONFIG`).
 * It drives CDK synth, the Lambdas and the sandbox alike. Secrets never live here: see `secrets.ts`.
 */

const nameSchema = z
  .string()
  .check(
    z.regex(
      /^[a-z][a-z0-9-]{0,39}$/,
      'expected a lower-case name of letters, digits and "-" (max 40 characters)',
    ),
  );

/**
 * Names that are properties of every JavaScript object (`__proto__`, `constructor`, `toString`, …). A config
 * key with such a name would be confused with the object's own machinery by any `in` or bracket lookup, so
 * approver keys and service names may not take them.
 */
export function isReservedKey(key: string): boolean {
  return key === '__proto__' || key in Object.prototype;
}

const reservedKeyMessage = (what: string) =>
  `"${what}" is a reserved name (a property of every JavaScript object: __proto__, constructor, toString, …); choose another`;

const severitySchema = z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED']);
/** Severity levels Shipgate understands, most severe first. */
export const SEVERITIES = severitySchema.options;
export type Severity = z.infer<typeof severitySchema>;

const strategySchema = z.enum(['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY', 'CODEDEPLOY']);
export type DeploymentStrategy = z.infer<typeof strategySchema>;

const regexSchema = z.string().check(
  z.refine(
    (v) => {
      try {
        new RegExp(v);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'expected a valid regular expression' },
  ),
);

/** A GitLab username (GitLab's own rule: letters, digits, `_`, `-`, `.`; no leading `-` or `.`). */
export const GITLAB_USERNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

/**
 * One approver, keyed by their GitLab username: a vote from a link counts for the GitLab user who signed in
 * (OpenID Connect), so the key is the identity. The old shape (any key plus `gitlab: <username>`) is refused
 * with a message that says how to migrate, since a key that is not the username would silently match nobody.
 */
const approverSchema = z.strictObject({
  /** Display name used on pages and chat ("Alice"). Defaults to the username. */
  name: z.optional(z.string().check(z.minLength(1))),
  /** Slack user id (U…): a Slack button press by this user votes as this GitLab user. */
  slack: z.optional(
    z.string().check(z.regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user id such as "U012AB3CD"')),
  ),
  /** Commit author e-mail addresses of this person (self-approval by commit authorship). */
  email: z.optional(z.union([z.email(), z.array(z.email()).check(z.minLength(1))])),
  gitlab: z.optional(z.unknown()).check(
    z.refine((v) => v === undefined, {
      message:
        'approvers are keyed by their GitLab username now (votes come from GitLab sign-in): rename the key to the GitLab username and remove "gitlab:" (e.g. "approvers: { alice: { name: Alice, gitlab: alice } }" becomes "approvers: { alice: { name: Alice } }")',
    }),
  ),
});

/**
 * Who counts as the release's own author for `allowSelfApproval: false`: the GitLab user who triggered the
 * pipeline, the authors of the release's commits (by e-mail), or both (the default).
 */
const selfApprovalRulesSchema = z.strictObject({
  pipelineUser: z._default(z.boolean(), true),
  commitAuthors: z._default(z.boolean(), true),
});
const selfApprovalSchema = z._default(selfApprovalRulesSchema, { pipelineUser: true, commitAuthors: true });

const approvalPolicySchema = z.strictObject({
  /** GitLab usernames (keys of `approvers`); each may vote once. */
  approvers: z
    .array(z.string().check(z.minLength(1)))
    .check(z.minLength(1, 'expected at least one approver')),
  /** Distinct approvals needed. */
  quorum: z._default(z.number().check(z.int(), z.gte(1)), 1),
  /** How long the request stays open; on expiry the gate fails closed. */
  timeout: z._default(durationSchema, 24 * 3600),
  /** Whether the release's own people (see `selfApproval`) may approve it. */
  allowSelfApproval: z._default(z.boolean(), false),
  /** Who counts as the release's own people. */
  selfApproval: selfApprovalSchema,
});

const severityLimitsSchema = z.partialRecord(severitySchema, z.number().check(z.int(), z.gte(0)));

const scanPolicySchema = z.strictObject({
  /** Maximum findings allowed per severity; severities not listed are unlimited. */
  maxFindings: z._default(severityLimitsSchema, { CRITICAL: 0, HIGH: 0 }),
});

/** Longest bake (and canary / linear step) time ECS accepts, in minutes. */
export const MAX_BAKE_MINUTES = 1440;

/** Longest PAUSE hook timeout ECS accepts (DeploymentLifecycleHookTimeoutConfiguration.timeoutInMinutes: 1–20160). */
export const MAX_PAUSE_MINUTES = 20160;

/**
 * Lifecycle stages a PAUSE hook may stop at. The SDK model (DeploymentLifecycleHook.lifecycleStages) says
 * "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT stages. These stages are
 * only valid for AWS_LAMBDA hooks." POST_TEST_TRAFFIC_SHIFT is ECS's, but Shipgate refuses a pause there
 * ({@link VERIFY_HOOK_STAGE}); "before each production traffic step" is PRE_PRODUCTION_TRAFFIC_SHIFT ("For linear and canary deployments, this stage is invoked before
 * every traffic shift step").
 */
export const PAUSE_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
] as const;
/** A stage a pause may be configured at. */
export type PauseStage = (typeof PAUSE_STAGES)[number];

/**
 * Where Shipgate's verify hook runs (the smoke check on test traffic). No pause may share its stage: ECS runs
 * the hooks of one stage in parallel, so such a pause would ask people before the smoke check answered.
 */
export const VERIFY_HOOK_STAGE = 'POST_TEST_TRAFFIC_SHIFT';

const pauseStageSchema = z.enum(PAUSE_STAGES, {
  error: (issue) =>
    issue.input === 'TEST_TRAFFIC_SHIFT' || issue.input === 'PRODUCTION_TRAFFIC_SHIFT'
      ? `ECS refuses PAUSE hooks at ${issue.input} ("PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT stages"); pause before each production traffic step with PRE_PRODUCTION_TRAFFIC_SHIFT (after the smoke check on test traffic), or after the last one with POST_PRODUCTION_TRAFFIC_SHIFT`
      : `expected one of ${PAUSE_STAGES.join(', ')}; received ${JSON.stringify(issue.input)}`,
});

/**
 * One pause of a rollout (an ECS PAUSE lifecycle hook): where it stops, who decides, and what ECS does when
 * nobody does. `onTimeout` is ROLLBACK unless the config says CONTINUE (ECS's own default is ROLLBACK too).
 */
const pauseSchema = z
  .strictObject({
    /** ECS lifecycle stage to pause at. */
    at: pauseStageSchema,
    /** Keys of `approvers` who may decide. */
    approvers: z
      .array(z.string().check(z.minLength(1)))
      .check(z.minLength(1, 'expected at least one approver')),
    /** Distinct "continue" decisions needed; one "roll back" decides at once. */
    quorum: z._default(z.number().check(z.int(), z.gte(1)), 1),
    /** How long ECS waits (whole minutes, 1 minute to 14 days, as timeoutInMinutes accepts). */
    timeout: z._default(
      durationSchema.check(
        z.refine((s) => s >= 60 && Math.ceil(s / 60) <= MAX_PAUSE_MINUTES, {
          error: (issue) =>
            `expected 1m to ${MAX_PAUSE_MINUTES}m (14d), the PAUSE hook timeouts ECS accepts (timeoutInMinutes 1–20160); received ${String(issue.input)} s`,
        }),
      ),
      1440 * 60,
    ),
    /** What ECS does when nobody decided in time. */
    onTimeout: z._default(z.enum(['ROLLBACK', 'CONTINUE']), 'ROLLBACK'),
    /** Whether the release's own people (see `selfApproval`) may continue it. */
    allowSelfApproval: z._default(z.boolean(), false),
    /** Who counts as the release's own people (default: the environment's approval setting). */
    selfApproval: z.optional(selfApprovalRulesSchema),
  })
  .check(
    z.refine((p) => p.at !== VERIFY_HOOK_STAGE, {
      path: ['at'],
      error: () =>
        `a pause cannot be at ${VERIFY_HOOK_STAGE}: Shipgate's smoke check (the verify hook) runs there, and ECS runs all hooks of one stage in parallel ("All hooks configured at the same lifecycle stage run in parallel"), so people would be asked before the smoke check answered. To pause after the smoke check, use PRE_PRODUCTION_TRAFFIC_SHIFT (before each production traffic step: the canary step and the rest, or every linear step) or POST_PRODUCTION_TRAFFIC_SHIFT (after all production traffic moved, before the bake)`,
    }),
  );
/** One configured pause. */
export type PauseConfig = z.infer<typeof pauseSchema>;

/**
 * Whether a percentage is a multiple of 0.1, as ECS requires of canary and linear percentages (within a
 * floating-point hair: 12.3 is 123.00000000000001 tenths).
 * @example onTenthGrid(33.3) // true; onTenthGrid(33.33) // false
 */
export function onTenthGrid(percent: number): boolean {
  return Math.abs(Math.round(percent * 10) - percent * 10) < 1e-9;
}

const rolloutOverridesSchema = z.strictObject({
  strategy: z.optional(strategySchema),
  /**
   * CANARY: percentage of traffic shifted first. ECS: "Valid values are multiples of 0.1 from 0.1 to 100.0"
   * (CanaryConfiguration.canaryPercent).
   */
  canaryPercent: z.optional(
    z.number().check(
      z.refine((p) => p >= 0.1 && p <= 100 && onTenthGrid(p), {
        error: (issue) =>
          `expected a percentage from 0.1 to 100 in steps of 0.1, as ECS canaryConfiguration.canaryPercent accepts; received ${String(issue.input)}`,
      }),
    ),
  ),
  /**
   * LINEAR: percentage shifted per step. ECS: "Valid values are multiples of 0.1 from 3.0 to 100.0"
   * (LinearConfiguration.stepPercent).
   */
  linearStepPercent: z.optional(
    z.number().check(
      z.refine((p) => p >= 3 && p <= 100 && onTenthGrid(p), {
        error: (issue) =>
          `expected a multiple of 0.1 from 3 to 100, as ECS linearConfiguration.stepPercent accepts; received ${String(issue.input)}`,
      }),
    ),
  ),
  /** Time to watch the new revision before finishing (ECS bake time, at most 1440 minutes). */
  bakeTime: z.optional(
    durationSchema.check(
      z.refine((seconds) => seconds <= MAX_BAKE_MINUTES * 60, {
        error: (issue) =>
          `expected at most ${MAX_BAKE_MINUTES} minutes (24h), the longest bake time ECS accepts; received ${String(issue.input)} s`,
      }),
    ),
  ),
  /** CodeDeploy deployment config name, e.g. CodeDeployDefault.ECSCanary10Percent5Minutes. */
  codeDeployConfig: z.optional(z.string().check(z.minLength(1))),
  /** ECS PAUSE hooks: the rollout stops at these stages until people decide in chat (BLUE_GREEN, LINEAR, CANARY). */
  pauses: z.optional(
    z.array(pauseSchema).check(
      z.refine((list) => new Set(list.map((p) => p.at)).size === list.length, {
        message: 'expected at most one pause per stage',
      }),
    ),
  ),
});

const freezeWindowSchema = z.strictObject({
  /** Human label shown when a release waits. */
  name: z.optional(z.string().check(z.minLength(1))),
  /** Cron expression (5 fields) when the freeze starts, as in GitLab's Freeze Periods API. */
  start: z.string().check(z.minLength(1)),
  /** Cron expression (5 fields) when the freeze ends. */
  end: z.string().check(z.minLength(1)),
  /** IANA time zone for both cron expressions. */
  timezone: z._default(z.string().check(z.minLength(1)), 'UTC'),
});

/** An AWS account id: twelve digits, kept as a string (leading zeros count). */
const accountIdSchema = z
  .string()
  .check(z.regex(/^\d{12}$/, 'expected a 12-digit AWS account id such as "222222222222"'));

/**
 * Where an environment lives when it is not Shipgate's own account (`environments[].aws`). Every ECS, ECR, SSM,
 * CloudWatch and CodeDeploy call made for the environment uses credentials of `deployRole`, assumed with STS
 * `AssumeRole` and `externalId` (terraform/modules/shipgate-deploy-role creates the role).
 */
export const environmentAwsSchema = z
  .strictObject({
    /** The environment's AWS account. */
    account: accountIdSchema,
    /** Its region; Shipgate's own region when left out. */
    region: z.optional(
      z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as "eu-west-1"')),
    ),
    /** ARN of the role Shipgate assumes in that account, e.g. `arn:aws:iam::222222222222:role/shipgate-deploy`. */
    deployRole: z
      .string()
      .check(
        z.regex(
          /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
          'expected an IAM role ARN such as "arn:aws:iam::222222222222:role/shipgate-deploy"',
        ),
      ),
    /**
     * The `sts:ExternalId` the role's trust policy requires (AWS's rule: 2–1224 characters of letters, digits
     * and `+=,.@:/-`). Not a secret; it keeps another tenant's Shipgate from assuming the role.
     */
    externalId: z
      .string()
      .check(
        z.regex(/^[\w+=,.@:/-]{2,1224}$/, 'expected 2–1224 characters of letters, digits and "+=,.@:/-_"'),
      ),
  })
  .check(
    z.refine((aws) => aws.deployRole.split(':')[4] === aws.account, {
      message: "expected deployRole to be a role of the environment's own account",
      path: ['deployRole'],
    }),
  );
export type EnvironmentAws = z.infer<typeof environmentAwsSchema>;

const environmentSchema = z.strictObject({
  name: nameSchema,
  /**
   * The environment's own AWS account, region and deploy role. Left out: the environment lives in
   * Shipgate's account and region, and Shipgate's functions call it with their own roles.
   */
  aws: z.optional(environmentAwsSchema),
  approval: approvalPolicySchema,
  scan: z._default(scanPolicySchema, { maxFindings: { CRITICAL: 0, HIGH: 0 } }),
  rollout: z._default(rolloutOverridesSchema, {}),
  /** Deploy freeze windows (in addition to the project's GitLab freeze periods). */
  freezes: z._default(z.array(freezeWindowSchema), []),
  /** What a release does when it reaches a frozen environment. */
  onFreeze: z._default(z.enum(['wait', 'fail']), 'wait'),
  /**
   * Which outcome messages of this environment go to chat: `all` (deployed, held by a freeze, failed,
   * stopped, superseded, aborted, rolled back), `failures` (everything but "deployed" and freeze holds) or
   * `none`. Approval requests are always posted.
   */
  notify: z._default(z.enum(['all', 'failures', 'none']), 'all'),
});

const serviceSchema = z.strictObject({
  /** ECR repository name holding the images tagged with the commit SHA. */
  repository: z.string().check(z.regex(/^[a-z0-9._/-]+$/, 'expected an ECR repository name')),
  /** Rollout settings for every environment, overridable per environment. */
  rollout: z._default(rolloutOverridesSchema, {}),
  /** Per-environment overrides, keyed by environment name. */
  environments: z._default(z.record(z.string(), rolloutOverridesSchema), {}),
});

const projectSchema = z.strictObject({
  /** GitLab project path with namespace, e.g. `root/api-gateway`. */
  path: z
    .string()
    .check(z.regex(/^[\w.-]+(\/[\w.-]+)+$/, 'expected a GitLab project path such as "group/project"')),
  /** Services this project releases (keys of `services`). */
  services: z.array(z.string().check(z.minLength(1))).check(z.minLength(1, 'expected at least one service')),
  release: z._default(
    z.strictObject({
      /** Branch that releases; `default` means the project's default branch as GitLab reports it. */
      branch: z._default(z.string().check(z.minLength(1)), 'default'),
      /** Never release a ref GitLab reports as unprotected; a missing flag (older GitLab) is unknown, so the branch rule decides. */
      requireProtected: z._default(z.boolean(), true),
      /** Tags matching this regular expression release too. */
      tags: z.optional(regexSchema),
    }),
    { branch: 'default', requireProtected: true },
  ),
});

const allowlistEntrySchema = z.strictObject({
  /** Finding id: CVE, GHSA, or a scanner rule id such as B608. */
  id: z.string().check(z.minLength(1)),
  reason: z
    .string()
    .check(z.minLength(10, 'expected a reason of at least 10 characters explaining why this is acceptable')),
  /** Date (YYYY-MM-DD) after which the entry stops counting. */
  expires: z.iso.date('expected a date such as "2027-01-31"'),
  /** Limit the entry to these services (default: all). */
  services: z.optional(z.array(z.string())),
});

/**
 * A list of AWS resource ids of one kind (`<prefix>-` and 8 to 17 hex digits), each once, at most `max` (the
 * Lambda limit for that kind).
 */
function awsIdList(prefix: string, noun: string, max: number) {
  const example = `${prefix}-0123456789abcdef0`;
  return z
    .array(
      z
        .string()
        .check(
          z.regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), `expected a ${noun} id such as "${example}"`),
        ),
    )
    .check(
      z.minLength(1, `expected at least one ${noun} id`),
      z.maxLength(max, `expected at most ${max} ${noun}s (the Lambda limit)`),
      z.refine((ids) => new Set(ids).size === ids.length, `expected each ${noun} id once`),
    );
}

/** Where the functions that call a private GitLab run (`gitlab.network`). */
export const gitlabNetworkSchema = z.strictObject({
  /** The VPC of the subnets and security groups, e.g. `vpc-0abc…`. */
  vpcId: z
    .string()
    .check(z.regex(/^vpc-[0-9a-f]{8,17}$/, 'expected a VPC id such as "vpc-0123456789abcdef0"')),
  /**
   * Private subnets with a route to GitLab, to the AWS endpoints Shipgate calls (VPC endpoints or a NAT)
   * and, for chat, to the internet (NAT). Two or more in different zones keep Shipgate up when one zone is not.
   */
  subnetIds: awsIdList('subnet', 'subnet', 16),
  /** Security groups of the functions (their egress must allow GitLab, HTTPS to the endpoints and chat). */
  securityGroupIds: awsIdList('sg', 'security group', 5),
});

/** `gitlab.network` of the config. */
export type GitLabNetwork = z.infer<typeof gitlabNetworkSchema>;

/** Schema of `shipgate.config.yaml`. */
export const configSchema = z
  .strictObject({
    version: z.literal(1),
    gitlab: z._default(
      z.strictObject({
        /** Base URL of the GitLab instance (feedback, webhook setup). */
        url: z.optional(z.url()),
        /**
         * Sign-in for votes from links (OpenID Connect, authorization code with PKCE, scopes `openid profile`).
         * `issuer` defaults to `url`; `clientId` is the Application ID of the OAuth application registered
         * in GitLab (its secret is the `oidcClientSecret` secret, never here).
         */
        oidc: z.optional(
          z.strictObject({
            issuer: z.optional(z.url()),
            clientId: z.string().check(z.minLength(1)),
          }),
        ),
        /**
         * A GitLab reachable only from a private network: the functions that call GitLab (those given the
         * GitLab token, README "Network paths") run in these subnets with these security groups. Omit it
         * when GitLab answers from the internet. Subnets and groups must belong to `vpcId`.
         */
        network: z.optional(gitlabNetworkSchema),
      }),
      {},
    ),
    projects: z.array(projectSchema).check(z.minLength(1, 'expected at least one project')),
    services: z.record(nameSchema, serviceSchema),
    /** Environments in release order. */
    environments: z.array(environmentSchema).check(z.minLength(1, 'expected at least one environment')),
    /** Approvers keyed by GitLab username. */
    approvers: z._default(z.record(z.string().check(z.minLength(1)), approverSchema), {}),
    scan: z._default(
      z.strictObject({
        /** What happens when no scan result exists for an image. */
        whenMissing: z._default(z.enum(['fail', 'pass']), 'fail'),
        /** How long to wait for ECR to finish scanning an image. */
        waitFor: z._default(durationSchema, 300),
        allowlist: z._default(z.array(allowlistEntrySchema), []),
      }),
      { whenMissing: 'fail', waitFor: 300, allowlist: [] },
    ),
    rollout: z._default(
      z.strictObject({
        /** How long a rollout may take before it fails as stuck. */
        timeout: z._default(durationSchema, 1800),
        /** How long to wait for a deployment event before checking the service once. */
        eventGrace: z._default(durationSchema, 300),
        /** Services of one release rolled out at once. */
        maxConcurrency: z._default(z.number().check(z.int(), z.gte(1), z.lte(20)), 3),
        /** Lease of the per-(environment, service) rollout lock. */
        lockLease: z._default(durationSchema, 3600),
      }),
      { timeout: 1800, eventGrace: 300, maxConcurrency: 3, lockLease: 3600 },
    ),
    verify: z._default(
      z.strictObject({
        /** Attempts of the smoke check before Verify fails. */
        attempts: z._default(z.number().check(z.int(), z.gte(1), z.lte(30)), 5),
        /** Pause between attempts. */
        interval: z._default(durationSchema, 5),
        /** Per-request timeout. */
        requestTimeout: z._default(durationSchema, 5),
      }),
      { attempts: 5, interval: 5, requestTimeout: 5 },
    ),
    ledger: z._default(
      z.strictObject({
        /** GitLab merge request labels that mark a release as unplanned work (a hotfix). */
        hotfixLabels: z._default(z.array(z.string().check(z.minLength(1))), ['hotfix']),
        /** A release deployed within this long after a failed deployment of the service there is unplanned. */
        unplannedAfterFailure: z._default(durationSchema, 86400),
      }),
      { hotfixLabels: ['hotfix'], unplannedAfterFailure: 86400 },
    ),
    notifications: z._default(
      z.strictObject({
        /** Send chat messages (the webhook URL itself is a secret). */
        chat: z._default(z.boolean(), true),
        /**
         * Slack channel id (`C0123…`) for the Slack app's bot: with the bot token secret set, each release is
         * one thread (its first approval request), follow-ups go in the thread and the first message is
         * updated to the release's final state. Without it, messages go to the incoming webhook.
         */
        slackChannel: z.optional(
          z.string().check(z.regex(/^[CG][A-Z0-9]{4,}$/, 'expected a Slack channel id such as C0123ABCDEF')),
        ),
      }),
      { chat: true },
    ),
    /** Name of the SSM path prefix where Terraform publishes deploy contracts. */
    contractsPrefix: z._default(
      z.string().check(z.regex(/^\/[\w./-]*[^/]$/, 'expected an SSM path such as "/shipgate"')),
      '/shipgate',
    ),
  })
  .check(
    z.superRefine((cfg, ctx) => {
      for (const issue of crossIssues(cfg)) ctx.addIssue({ code: 'custom', ...issue });
      for (const issue of pauseIssues(cfg as ShipgateConfig)) ctx.addIssue({ code: 'custom', ...issue });
    }),
  );

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const arrayOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Approver keys and service names that are reserved (see {@link isReservedKey}). */
function reservedKeyIssues(raw: unknown): { path: (string | number)[]; message: string }[] {
  if (!isObject(raw)) return [];
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const what of ['approvers', 'services'] as const) {
    const section = raw[what];
    if (!isObject(section)) continue;
    for (const key of Object.keys(section).filter(isReservedKey)) {
      issues.push({ path: [what, key], message: reservedKeyMessage(key) });
    }
  }
  return issues;
}

/**
 * The checks across fields (approvers, services and environments that must exist, quorum, lock lease).
 * Written defensively so they also run on a config whose shape is partly wrong: `config check` then reports
 * these together with the shape errors in one run, instead of only after the shape is fixed.
 */
export function crossIssues(raw: unknown): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (!isObject(raw)) return issues;
  const approvers = isObject(raw.approvers) ? raw.approvers : {};
  for (const key of Object.keys(approvers)) {
    if (!GITLAB_USERNAME.test(key)) {
      issues.push({
        path: ['approvers', key],
        message: `expected a GitLab username as the key (letters, digits, "_", "-", "."; votes count for the GitLab user who signs in); received ${JSON.stringify(key)}`,
      });
    }
  }
  const services = isObject(raw.services) ? raw.services : {};
  issues.push(...reservedKeyIssues(raw));
  const envNames = new Set<string>();
  arrayOf(raw.environments).forEach((env, i) => {
    if (!isObject(env)) return;
    if (typeof env.name === 'string') {
      if (envNames.has(env.name)) {
        issues.push({ path: ['environments', i, 'name'], message: `duplicate environment "${env.name}"` });
      }
      envNames.add(env.name);
    }
    const approval = isObject(env.approval) ? env.approval : {};
    const listed = arrayOf(approval.approvers).filter((a): a is string => typeof a === 'string');
    arrayOf(approval.approvers).forEach((a, j) => {
      if (typeof a === 'string' && !Object.hasOwn(approvers, a)) {
        issues.push({
          path: ['environments', i, 'approval', 'approvers', j],
          message: `unknown approver "${a}"; expected one of: ${Object.keys(approvers).join(', ') || '(none defined under approvers)'}`,
        });
      }
    });
    if (typeof approval.quorum === 'number' && approval.quorum > new Set(listed).size) {
      issues.push({
        path: ['environments', i, 'approval', 'quorum'],
        message: `quorum ${approval.quorum} is larger than the ${new Set(listed).size} distinct approvers listed`,
      });
    }
  });
  const seenPaths = new Set<string>();
  arrayOf(raw.projects).forEach((p, i) => {
    if (!isObject(p)) return;
    if (typeof p.path === 'string') {
      if (seenPaths.has(p.path)) {
        issues.push({ path: ['projects', i, 'path'], message: `duplicate project "${p.path}"` });
      }
      seenPaths.add(p.path);
    }
    arrayOf(p.services).forEach((s, j) => {
      if (typeof s === 'string' && !Object.hasOwn(services, s)) {
        issues.push({
          path: ['projects', i, 'services', j],
          message: `unknown service "${s}"; expected one of: ${Object.keys(services).join(', ')}`,
        });
      }
    });
  });
  // A rollout holds its lock from "Start rollout" until it settles: at most timeout + eventGrace (then it
  // settles as RolloutStuck). A shorter lease would let another release take the lock mid-rollout.
  const rollout = isObject(raw.rollout) ? raw.rollout : {};
  const { timeout, eventGrace, lockLease } = rollout;
  if (typeof timeout === 'number' && typeof eventGrace === 'number' && typeof lockLease === 'number') {
    const held = timeout + eventGrace;
    if (lockLease < held) {
      issues.push({
        path: ['rollout', 'lockLease'],
        message: `lock lease of ${lockLease} s is shorter than the ${held} s a rollout may hold its lock (rollout.timeout ${timeout} s + rollout.eventGrace ${eventGrace} s); expected at least ${held} s`,
      });
    }
  }
  if (envNames.size > 0) {
    for (const [name, svc] of Object.entries(services)) {
      if (!isObject(svc) || !isObject(svc.environments)) continue;
      for (const env of Object.keys(svc.environments)) {
        if (!envNames.has(env)) {
          issues.push({
            path: ['services', name, 'environments', env],
            message: `unknown environment "${env}"; expected one of: ${[...envNames].join(', ')}`,
          });
        }
      }
    }
  }
  issues.push(...pauseApproverIssues(raw, approvers, services));
  return issues;
}

/** Every `pauses` list of a raw config, with its path. */
function pauseLists(raw: Loose, services: Loose): { path: (string | number)[]; pauses: unknown[] }[] {
  const lists: { path: (string | number)[]; pauses: unknown[] }[] = [];
  arrayOf(raw.environments).forEach((env, i) => {
    if (isObject(env) && isObject(env.rollout) && Array.isArray(env.rollout.pauses)) {
      lists.push({ path: ['environments', i, 'rollout', 'pauses'], pauses: env.rollout.pauses });
    }
  });
  for (const [name, svc] of Object.entries(services)) {
    if (!isObject(svc)) continue;
    if (isObject(svc.rollout) && Array.isArray(svc.rollout.pauses)) {
      lists.push({ path: ['services', name, 'rollout', 'pauses'], pauses: svc.rollout.pauses });
    }
    if (!isObject(svc.environments)) continue;
    for (const [env, o] of Object.entries(svc.environments)) {
      if (isObject(o) && Array.isArray(o.pauses)) {
        lists.push({ path: ['services', name, 'environments', env, 'pauses'], pauses: o.pauses });
      }
    }
  }
  return lists;
}

/** A pause's approvers must exist and its quorum be reachable. */
function pauseApproverIssues(
  raw: Loose,
  approvers: Loose,
  services: Loose,
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const { path, pauses } of pauseLists(raw, services)) {
    pauses.forEach((pause, k) => {
      if (!isObject(pause)) return;
      const listed = arrayOf(pause.approvers).filter((a): a is string => typeof a === 'string');
      listed.forEach((a, j) => {
        if (!Object.hasOwn(approvers, a)) {
          issues.push({
            path: [...path, k, 'approvers', j],
            message: `unknown approver "${a}"; expected one of: ${Object.keys(approvers).join(', ') || '(none defined under approvers)'}`,
          });
        }
      });
      if (typeof pause.quorum === 'number' && pause.quorum > new Set(listed).size) {
        issues.push({
          path: [...path, k, 'quorum'],
          message: `quorum ${pause.quorum} is larger than the ${new Set(listed).size} distinct approvers listed`,
        });
      }
    });
  }
  return issues;
}

/**
 * How many times ECS stops at `stage` in one service deployment: PRE_PRODUCTION_TRAFFIC_SHIFT "for linear and
 * canary deployments … is invoked before every traffic shift step" (CANARY: the canary step and the rest;
 * LINEAR: one per step); every other stage once.
 */
export function pauseOccurrences(
  stage: PauseStage,
  strategy: DeploymentStrategy,
  linearStepPercent: number | undefined,
): number {
  if (stage !== 'PRE_PRODUCTION_TRAFFIC_SHIFT') return 1;
  if (strategy === 'CANARY') return 2;
  if (strategy === 'LINEAR') return Math.ceil(100 / (linearStepPercent ?? 10));
  return 1;
}

/** The longest the pauses of one rollout may hold it: each timeout (whole minutes) times its occurrences, in seconds. */
export function pauseAllowanceSeconds(
  settings: Pick<RolloutOverrides, 'pauses' | 'linearStepPercent'> & { strategy: DeploymentStrategy },
): number {
  return (settings.pauses ?? []).reduce(
    (sum, p) =>
      sum +
      Math.ceil(p.timeout / 60) * 60 * pauseOccurrences(p.at, settings.strategy, settings.linearStepPercent),
    0,
  );
}

/** Strategies whose service deployments ECS can pause (the ones Shipgate runs as service deployments). */
const PAUSABLE: readonly DeploymentStrategy[] = ['BLUE_GREEN', 'LINEAR', 'CANARY'];

/**
 * Checks on the parsed config: pauses only where Shipgate follows ECS service deployments (an explicit
 * ROLLING or CODEDEPLOY strategy is refused), and a lock lease that covers a rollout waiting at its pauses.
 */
function pauseIssues(cfg: ShipgateConfig): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (!Array.isArray(cfg.environments) || !isObject(cfg.services) || !isObject(cfg.rollout)) return issues;
  let longest = 0;
  let where = '';
  for (const service of Object.keys(cfg.services)) {
    for (const env of cfg.environments) {
      const settings = rolloutSettings(cfg, service, env.name);
      if (!settings.pauses?.length) continue;
      if (!PAUSABLE.includes(settings.strategy)) {
        const explicit = settings.strategy !== 'ROLLING' || hasExplicitStrategy(cfg, service, env.name);
        if (explicit) {
          issues.push({
            path: ['services', service, 'environments', env.name, 'pauses'],
            message: `pauses need a BLUE_GREEN, LINEAR or CANARY rollout (ECS service deployments with lifecycle stages); "${service}" in "${env.name}" is ${settings.strategy}`,
          });
          continue;
        }
      }
      const allowance = pauseAllowanceSeconds(settings);
      if (allowance > longest) {
        longest = allowance;
        where = `"${service}" in "${env.name}"`;
      }
    }
  }
  const { timeout, eventGrace, lockLease } = cfg.rollout;
  if (longest > 0 && lockLease < timeout + eventGrace + longest) {
    const held = timeout + eventGrace + longest;
    issues.push({
      path: ['rollout', 'lockLease'],
      message: `lock lease of ${lockLease} s is shorter than the ${held} s a rollout of ${where} may hold its lock (rollout.timeout ${timeout} s + rollout.eventGrace ${eventGrace} s + ${longest} s of pauses); expected at least ${held} s`,
    });
  }
  return issues;
}

function hasExplicitStrategy(cfg: ShipgateConfig, service: string, environment: string): boolean {
  const env = cfg.environments.find((e) => e.name === environment);
  const svc = cfg.services[service];
  return Boolean(svc?.environments[environment]?.strategy ?? svc?.rollout.strategy ?? env?.rollout.strategy);
}

/** The longest any configured rollout may wait at its pauses (seconds; 0 without pauses). */
export function longestPauseAllowance(cfg: ShipgateConfig): number {
  let longest = 0;
  for (const service of Object.keys(cfg.services)) {
    for (const env of cfg.environments) {
      longest = Math.max(longest, pauseAllowanceSeconds(rolloutSettings(cfg, service, env.name)));
    }
  }
  return longest;
}

/** The validated, defaulted configuration. */
export type ShipgateConfig = z.infer<typeof configSchema>;
export type EnvironmentConfig = ShipgateConfig['environments'][number];
export type ProjectConfig = ShipgateConfig['projects'][number];
export type ServiceConfig = ShipgateConfig['services'][string];
export type ApproverConfig = ShipgateConfig['approvers'][string];
export type RolloutOverrides = z.infer<typeof rolloutOverridesSchema>;

/** Formats zod issues as `path: message` lines, e.g. `environments[1].approval.quorum: expected a number…`. */
export function formatIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, key) =>
          typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key),
        '',
      );
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('\n');
}

/**
 * Validates an already-parsed configuration object.
 * @throws ConfigError naming each wrong path, what was expected and what was received.
 */
export function parseConfig(raw: unknown, source = 'configuration'): ShipgateConfig {
  const result = configSchema.safeParse(raw);
  // A reserved key (`__proto__`) can vanish from zod's output record, so these are checked on the input.
  const reserved = reservedKeyIssues(raw);
  if (result.success && reserved.length > 0) {
    throw new ConfigError(`Invalid ${source}:\n${formatIssues(reserved)}`);
  }
  if (!result.success) {
    // Zod skips the cross-field refinement while the shape is wrong; run those checks on the raw input too,
    // so every error is reported in one run.
    const issues: { path: PropertyKey[]; message: string }[] = [...result.error.issues];
    const seen = new Set(issues.map((i) => `${i.path.join('.')}\n${i.message}`));
    for (const issue of crossIssues(raw)) {
      if (!seen.has(`${issue.path.join('.')}\n${issue.message}`)) issues.push(issue);
    }
    throw new ConfigError(`Invalid ${source}:\n${formatIssues(issues)}`);
  }
  return result.data;
}

/**
 * Reads and validates the configuration file.
 * Order: `SHIPGATE_CONFIG_JSON` (inlined into Lambda bundles at synth), then the file at `path`,
 * `SHIPGATE_CONFIG`, or `./shipgate.config.yaml`.
 * @example const config = loadConfig(); // throws ConfigError with every problem listed
 */
export function loadConfig(path?: string, env: NodeJS.ProcessEnv = process.env): ShipgateConfig {
  // Written out as `process.env.SHIPGATE_CONFIG_JSON` so the esbuild `define` of the CDK bundles inlines it.
  const inlined = env === process.env ? process.env.SHIPGATE_CONFIG_JSON : env.SHIPGATE_CONFIG_JSON;
  if (!path && inlined) {
    let raw: unknown;
    try {
      raw = JSON.parse(inlined);
    } catch (err) {
      throw new ConfigError('SHIPGATE_CONFIG_JSON is not valid JSON', { cause: err });
    }
    return parseConfig(raw, 'SHIPGATE_CONFIG_JSON');
  }
  const file = resolve(path ?? env.SHIPGATE_CONFIG ?? 'shipgate.config.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `Cannot read the Shipgate config at ${file}: ${(err as Error).message}. Create it (see shipgate.config.yaml in the repository) or set SHIPGATE_CONFIG.`,
      { cause: err },
    );
  }
  // Loaded here, not at the top: Lambda bundles always take the inlined JSON above, so they leave `yaml`
  // out (external in lib/constructs/shipgate-function.ts) and save its 115 KB and its import time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse: parseYaml } = require('yaml') as typeof import('yaml');
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(raw, file);
}

let cached: ShipgateConfig | undefined;

/** The configuration of this process, loaded once on first use. */
export function getConfig(): ShipgateConfig {
  cached ??= loadConfig();
  return cached;
}

/** Test hook: forget the cached configuration (or replace it). */
export function setConfigForTesting(config: ShipgateConfig | undefined): void {
  cached = config;
}

/** The project configuration for a GitLab path, if Shipgate knows the project. */
export function findProject(config: ShipgateConfig, path: string): ProjectConfig | undefined {
  return config.projects.find((p) => p.path.toLowerCase() === path.toLowerCase());
}

/** The named environment. @throws ConfigError when it is not configured. */
export function getEnvironment(config: ShipgateConfig, name: string): EnvironmentConfig {
  const env = config.environments.find((e) => e.name === name);
  if (!env) {
    throw new ConfigError(
      `Unknown environment "${name}"; configured: ${config.environments.map((e) => e.name).join(', ')}`,
    );
  }
  return env;
}

/** Effective rollout settings of a service in an environment (service → service/env → environment precedence). */
export function rolloutSettings(
  config: ShipgateConfig,
  service: string,
  environment: string,
): RolloutOverrides & { strategy: DeploymentStrategy } {
  const env = getEnvironment(config, environment);
  const svc = config.services[service];
  return {
    strategy: 'ROLLING',
    ...env.rollout,
    ...svc?.rollout,
    ...svc?.environments[environment],
  } as RolloutOverrides & { strategy: DeploymentStrategy };
}
