import { randomBytes } from 'node:crypto';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { decideAs, demoManifest } from '../../sandbox/demo';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../helpers/gitlab-deliveries';
import { SandboxProcess, writeTestConfig } from '../integ/sandbox/sandbox-process';
import { credentials, freePort, waitFor } from '../integ/sandbox/support';

/** The releases the console tests and the screenshot script run, by how they end. */
export type ScenarioName =
  'passed' | 'rejected' | 'scanStopped' | 'rolloutFailed' | 'verifyFailed' | 'waiting';

/** A sandbox started for the console, with helpers that run releases through it. */
export interface ConsoleSandbox {
  url: string;
  awsEndpoint: string;
  process: SandboxProcess;
  /** Runs one release to its end (or, for `waiting`, to its staging approval); returns its execution ARN. */
  run(scenario: ScenarioName): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts `shipgate dev` (what `npm start` runs) in a child process on free loopback ports with the test
 * config, ready to run the console scenarios.
 */
export async function startConsoleSandbox(
  stateDir: string,
  extraEnv: Record<string, string> = {},
): Promise<ConsoleSandbox> {
  const [port, awsPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const awsEndpoint = `http://127.0.0.1:${awsPort}`;
  const token = `console-token-${randomBytes(8).toString('hex')}`;
  const proc = new SandboxProcess({
    PORT: String(port),
    SHIPGATE_AWS_PORT: String(awsPort),
    SHIPGATE_STATE_DIR: stateDir,
    SHIPGATE_CONFIG: writeTestConfig(stateDir),
    SHIPGATE_WEBHOOK_TOKEN: token,
    SHIPGATE_SANDBOX_PHASE_MS: '150',
    ...extraEnv,
  });
  await proc.start(90000);
  const client = () => ({ endpoint: awsEndpoint, region: 'us-east-1', credentials, maxAttempts: 2 });
  let pipeline = 9100;

  const pushImage = async (annotations: Record<string, string>): Promise<string> => {
    const sha = randomBytes(20).toString('hex');
    await new ECRClient(client()).send(
      new PutImageCommand({
        repositoryName: 'inventory-app',
        imageTag: sha,
        imageManifest: demoManifest('inventory-app', sha, annotations),
      }),
    );
    return sha;
  };
  /** The gate's review link and its approvers (each signs in with GitLab as themselves to vote). */
  const approvalLinks = (executionArn: string, environment: string) =>
    waitFor(
      `the ${environment} approval of ${executionArn}`,
      async () => {
        const { approvals } = (await (await fetch(`${url}/_sandbox/api/approvals`)).json()) as {
          approvals: {
            executionArn: string;
            environment: string;
            reviewUrl?: string;
            approvers?: { approver: string }[];
          }[];
        };
        const a = approvals.find((x) => x.executionArn === executionArn && x.environment === environment);
        return a?.reviewUrl
          ? { url: a.reviewUrl, approvers: (a.approvers ?? []).map((p) => p.approver) }
          : undefined;
      },
      60000,
    );
  const settled = (executionArn: string) =>
    waitFor(
      `${executionArn} to end`,
      async () => {
        const d = await new SFNClient(client()).send(new DescribeExecutionCommand({ executionArn }));
        return d.status === 'RUNNING' ? undefined : d.status;
      },
      90000,
    );

  const run = async (scenario: ScenarioName): Promise<string> => {
    const annotations: Record<string, string> =
      scenario === 'scanStopped'
        ? { 'org.shipgate.sandbox.findings': '{"CRITICAL":1}' }
        : scenario === 'rolloutFailed'
          ? { 'org.shipgate.sandbox.rollout': 'fail' }
          : scenario === 'verifyFailed'
            ? { 'org.shipgate.sandbox.rollout': 'unhealthy' }
            : {};
    const sha = await pushImage(annotations);
    const res = await fetch(
      `${url}/webhooks/gitlab`,
      deliveryInit(gitlabDelivery(pipelinePayload({ id: pipeline++, sha }), { token })),
    );
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    const { executionArn } = (await res.json()) as { executionArn: string };
    if (scenario === 'scanStopped') {
      await settled(executionArn);
      return executionArn;
    }
    const staging = await approvalLinks(executionArn, 'staging');
    if (scenario === 'waiting') return executionArn;
    if (scenario === 'rejected') {
      await decideAs(
        staging.url,
        staging.approvers[0],
        'reject',
        'Not this week: the schema migration is not reviewed',
      );
      await settled(executionArn);
      return executionArn;
    }
    await decideAs(staging.url, staging.approvers[0], 'approve', 'Looks good');
    if (scenario === 'passed') {
      const production = await approvalLinks(executionArn, 'production');
      for (const who of production.approvers.slice(0, 2))
        await decideAs(production.url, who, 'approve', 'Ship it');
    }
    await settled(executionArn);
    return executionArn;
  };

  return {
    url,
    awsEndpoint,
    process: proc,
    run,
    stop: async () => {
      await proc.stop();
    },
  };
}
