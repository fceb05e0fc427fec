import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import type { ShipgateConfig } from '../../lambdas/shared/config';
import type { SecretName } from '../../lambdas/shared/secrets';
import { describeGitlabError, gitlabClient, type GitlabSettings } from '../../lambdas/domain/gitlab/client';
import { ensureProjectHook } from '../../lambdas/domain/gitlab/hooks';
import type { AwsBase } from './aws-environment';
import { checkContract, type CheckClients, type CheckLine } from './contract-check';
import { clientsFor } from './contract';

/**
 * `shipgate doctor`'s checks, each a plain function over what the caller found (a deployed stack or the
 * sandbox): GitLab reachable with the token, every secret set, every environment's role assumable, every
 * contract readable and consistent with its live service, the event rules in place, the webhook registered
 * on each project. Names are stable: gitlab, secret:<name>, role:<env>, contract:<env>/<service>,
 * event-rule:<id>, webhook:<project>.
 */

/** A secret as the doctor found it. */
export interface SecretState {
  name: SecretName;
  value?: string;
  /** Where it was looked for (an ARN, an environment variable, the sandbox state dir). */
  source: string;
  required: boolean;
  /** Why it is (not) required, when that depends on the config. */
  why?: string;
}

/** What the doctor checks against. */
export interface DoctorTarget {
  mode: 'stack' | 'sandbox';
  config: ShipgateConfig;
  /** AWS of Shipgate's own account (the sandbox's endpoint, or the SDK's chain). */
  base: AwsBase;
  secrets: SecretState[];
  /** GitLab's URL (SHIPGATE_GITLAB_URL, else gitlab.url). */
  gitlabUrl?: string;
  /** Where GitLab should deliver webhooks. */
  webhookUrl?: string;
  /** Stack mode: the stack whose event rules are checked. */
  stackName?: string;
}

const ok = (name: string, detail: string): CheckLine => ({ name, status: 'ok', detail });
const fail = (name: string, detail: string): CheckLine => ({ name, status: 'fail', detail });
const skip = (name: string, detail: string): CheckLine => ({ name, status: 'skip', detail });

/**
 * Which secrets a deployment needs, from the config: the webhook token and link key always; the GitLab token
 * in AWS (the sandbox runs without GitLab); the chat webhook when chat is on without a Slack channel; the
 * Slack bot token and signing secret with a Slack channel; the OAuth secret with GitLab sign-in configured.
 */
export function requiredSecrets(
  config: ShipgateConfig,
  mode: 'stack' | 'sandbox',
): Map<SecretName, string | undefined> {
  const needed = new Map<SecretName, string | undefined>([
    ['webhookToken', undefined],
    ['linkSigningKey', undefined],
  ]);
  if (mode === 'stack') {
    needed.set('gitlabToken', 'commit statuses, deployments and webhooks');
    if (config.gitlab.oidc) needed.set('oidcClientSecret', 'gitlab.oidc is configured');
    if (config.notifications.chat && !config.notifications.slackChannel) {
      needed.set('chatWebhookUrl', 'notifications.chat is on without a slackChannel');
    }
  }
  if (config.notifications.slackChannel) {
    needed.set('slackBotToken', 'notifications.slackChannel is set');
    needed.set('slackSigningSecret', 'notifications.slackChannel is set');
  }
  return needed;
}

/** One line per secret: required and unset fails, optional and unset is skipped. Values are never printed. */
export function secretLines(secrets: SecretState[]): CheckLine[] {
  return secrets.map((s) => {
    const name = `secret:${s.name}`;
    if (s.value) return ok(name, `set (${s.source})`);
    return s.required
      ? fail(name, `not set: ${s.source}${s.why ? ` (needed: ${s.why})` : ''}`)
      : skip(name, `not set, optional (${s.source})`);
  });
}

/** GitLab answers `GET /user` with the token. Undefined settings: no token (a failure in AWS, a skip in the sandbox). */
export async function gitlabLine(
  target: DoctorTarget,
  settings: GitlabSettings | undefined,
): Promise<CheckLine> {
  if (!settings) {
    const why = target.gitlabUrl
      ? 'no GitLab token (secret gitlabToken / SHIPGATE_GITLAB_TOKEN)'
      : 'no GitLab URL (gitlab.url or SHIPGATE_GITLAB_URL)';
    return target.mode === 'sandbox'
      ? skip('gitlab', `${why}: the sandbox runs without GitLab feedback`)
      : fail('gitlab', why);
  }
  try {
    const user = (await gitlabClient(settings, 10_000).Users.showCurrentUser()) as { username?: string };
    return ok('gitlab', `${settings.url} answers with the token (user @${user.username ?? '?'})`);
  } catch (err) {
    return fail('gitlab', `${settings.url}: ${describeGitlabError(err)}`);
  }
}

/** The webhook on each project, compared as `shipgate gitlab hooks --dry-run` compares it. */
export async function webhookLines(
  target: DoctorTarget,
  settings: GitlabSettings | undefined,
  gitlabOk: boolean,
): Promise<CheckLine[]> {
  const token = target.secrets.find((s) => s.name === 'webhookToken')?.value;
  const signingKey = target.secrets.find((s) => s.name === 'webhookSigningKey')?.value;
  return Promise.all(
    target.config.projects.map(async (project) => {
      const name = `webhook:${project.path}`;
      if (!settings || !gitlabOk)
        return skip(name, 'not checked: GitLab is not reachable or not configured (see the gitlab line)');
      if (!target.webhookUrl) return fail(name, "Shipgate's webhook URL is unknown: pass --webhook-url");
      const r = await ensureProjectHook(
        gitlabClient(settings, 10_000),
        project,
        { url: target.webhookUrl, token, signingKey },
        { dryRun: true },
      );
      if (r.action === 'unchanged') return ok(name, `hook #${r.hookId} delivers to ${target.webhookUrl}`);
      const why =
        r.action === 'failed'
          ? (r.error ?? 'GitLab refused')
          : r.action === 'would create'
            ? `no hook delivers to ${target.webhookUrl}`
            : `hook #${r.hookId} differs: ${r.changes.join(', ')}`;
      return fail(name, `${why} (fix: shipgate gitlab hooks)`);
    }),
  );
}

/** Roles and contracts: per environment, its role, then every service's contract against the live service. */
export async function environmentLines(target: DoctorTarget): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  for (const env of target.config.environments) {
    let clients: (CheckClients & { via: string }) | undefined;
    try {
      clients = await clientsFor(target.config, env.name, target.base);
      lines.push(
        ok(
          `role:${env.name}`,
          env.aws ? `assumed ${env.aws.deployRole} (account ${env.aws.account})` : 'same account',
        ),
      );
    } catch (err) {
      lines.push(fail(`role:${env.name}`, (err as Error).message));
    }
    for (const service of Object.keys(target.config.services)) {
      const name = `contract:${env.name}/${service}`;
      if (!clients) {
        lines.push(fail(name, `not checked: the role of ${env.name} cannot be assumed`));
        continue;
      }
      const checks = await checkContract(clients, target.config, env.name, service, {
        sandbox: target.mode === 'sandbox',
      }).catch((err: Error): CheckLine[] => [fail('contract', `${err.name}: ${err.message}`)]);
      const failed = checks.filter((c) => c.status === 'fail');
      lines.push(
        failed.length
          ? fail(
              name,
              `failed ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}; details: shipgate contract check ${env.name} ${service}`,
            )
          : ok(
              name,
              `${checks
                .filter((c) => c.status === 'ok')
                .map((c) => c.name)
                .join(', ')} consistent with the live service`,
            ),
      );
    }
  }
  return lines;
}

/**
 * The stack's EventBridge rules (CloudFormation resources of type AWS::Events::Rule): each exists, is ENABLED
 * and has a target. The sandbox has no EventBridge: it hands events to the handlers in process.
 */
export async function eventRuleLines(target: DoctorTarget): Promise<CheckLine[]> {
  if (target.mode === 'sandbox' || !target.stackName) {
    return [
      skip(
        'event-rules',
        'the sandbox delivers ECS, CodeDeploy and Step Functions events to the handlers in process',
      ),
    ];
  }
  const settings = { ...target.base, maxAttempts: 3 };
  const cfn = new CloudFormationClient(settings);
  const events = new EventBridgeClient(settings);
  const rules: { logicalId: string; name: string }[] = [];
  try {
    for await (const page of paginateListStackResources({ client: cfn }, { StackName: target.stackName })) {
      for (const r of page.StackResourceSummaries ?? []) {
        if (r.ResourceType === 'AWS::Events::Rule' && r.PhysicalResourceId) {
          rules.push({ logicalId: r.LogicalResourceId ?? r.PhysicalResourceId, name: r.PhysicalResourceId });
        }
      }
    }
  } catch (err) {
    return [
      fail(
        'event-rules',
        `cannot list the resources of stack ${target.stackName}: ${(err as Error).name}: ${(err as Error).message}`,
      ),
    ];
  }
  if (!rules.length) return [fail('event-rules', `stack ${target.stackName} has no EventBridge rules`)];
  return Promise.all(
    rules.map(async ({ logicalId, name }) => {
      const line = `event-rule:${logicalId}`;
      try {
        const rule = await events.send(new DescribeRuleCommand({ Name: name }));
        if (rule.State !== 'ENABLED') return fail(line, `${name} is ${rule.State}`);
        const targets = await events.send(new ListTargetsByRuleCommand({ Rule: name }));
        return targets.Targets?.length
          ? ok(line, `${name} is enabled with ${targets.Targets.length} target(s)`)
          : fail(line, `${name} has no target`);
      } catch (err) {
        return fail(line, `${name}: ${(err as Error).name}: ${(err as Error).message}`);
      }
    }),
  );
}
