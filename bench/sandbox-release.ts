import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { loadConfig } from '../lambdas/shared/config';
import { decideAs, demoManifest } from '../sandbox/demo';
import { SandboxProcess, writeTestConfig } from '../test/integ/sandbox/sandbox-process';
import { freePort } from '../test/integ/sandbox/support';
import { gitlabDelivery, pipelinePayload } from '../test/helpers/gitlab-deliveries';
import type { MeterSnapshot } from '../sandbox/meter';
import { priceRelease, usageBetween, type ReleasePrice } from './price';

/** Results of the sandbox part. */
export interface SandboxResults {
  /** From the webhook POST to the execution's end, with approvals given as soon as the links exist. */
  wallMs: number;
  status: string;
  environments: string[];
  /** Votes given per environment (its quorum). */
  votes: Record<string, number>;
  /** State transitions: every `*StateEntered` event in GetExecutionHistory (how Step Functions bills). */
  stateTransitions: number;
  historyEvents: number;
  /** Time the release spent waiting for approval links to appear and be answered (part of wallMs). */
  approvalMs: number;
  /** The waits the configuration imposes on the release (included in wallMs). */
  configuredWaits: string;
  startupMs: number;
  /** What the release used, counted by the sandbox's meter, and its price (bench/price.ts). */
  price: ReleasePrice;
}

/** The sandbox's meter (`GET /_sandbox/api/meter`). */
async function meter(url: string): Promise<MeterSnapshot> {
  const res = await fetch(`${url}/_sandbox/api/meter`);
  if (!res.ok) throw new Error(`the sandbox meter answered HTTP ${res.status}`);
  return (await res.json()) as MeterSnapshot;
}

/**
 * The meter once it stopped moving: the execution has ended, but asynchronous work it caused (follow-ups of
 * the last vote, the deployment events of the last rollout) may still run. Waits until two readings 500 ms
 * apart agree (at most 15 s).
 */
async function settledMeter(url: string): Promise<MeterSnapshot> {
  let last = JSON.stringify(await meter(url));
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await meter(url);
    if (JSON.stringify(now) === last) return now;
    last = JSON.stringify(now);
  }
  return JSON.parse(last) as MeterSnapshot;
}

/**
 * One full two-environment release in the sandbox (`shipgate dev` in a child process on free ports with a
 * temporary state dir, the repository's config without freezes): push an image to the emulated ECR, POST an
 * authentic pipeline webhook, approve each environment as soon as its links appear, wait for the end.
 */
export async function benchSandboxRelease(
  workDir: string,
  log: (line: string) => void,
): Promise<SandboxResults> {
  const dir = join(workDir, 'sandbox');
  mkdirSync(dir, { recursive: true });
  const [port, awsPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const endpoint = `http://127.0.0.1:${awsPort}`;
  const token = `bench-token-${randomBytes(8).toString('hex')}`;
  const configFile = writeTestConfig(dir);
  const config = loadConfig(configFile, {});
  const phaseMs = 150;
  const sandbox = new SandboxProcess({
    PORT: String(port),
    SHIPGATE_AWS_PORT: String(awsPort),
    SHIPGATE_STATE_DIR: join(dir, 'state'),
    SHIPGATE_CONFIG: configFile,
    SHIPGATE_WEBHOOK_TOKEN: token,
    SHIPGATE_SANDBOX_PHASE_MS: String(phaseMs),
  });
  const client = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIABENCH00000000000', secretAccessKey: 'bench-not-a-secret' },
    maxAttempts: 2,
  };
  const t0 = performance.now();
  await sandbox.start();
  const startupMs = Math.round(performance.now() - t0);
  try {
    const sha = randomBytes(20).toString('hex');
    await new ECRClient(client).send(
      new PutImageCommand({
        repositoryName: 'inventory-app',
        imageTag: sha,
        imageManifest: demoManifest('inventory-app', sha),
      }),
    );
    const delivery = gitlabDelivery(pipelinePayload({ id: 9100 + Math.floor(Math.random() * 800), sha }), {
      token,
    });
    const sfn = new SFNClient(client);
    const metered = await meter(url);
    const start = performance.now();
    const res = await fetch(`${url}/webhooks/gitlab`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    const answer = (await res.json()) as { executionArn?: string; error?: string };
    if (res.status !== 202 || !answer.executionArn) {
      throw new Error(`the sandbox did not start the release: HTTP ${res.status} ${JSON.stringify(answer)}`);
    }
    const executionArn = answer.executionArn;
    const voted = new Set<string>();
    const votes: Record<string, number> = {};
    let approvalMs = 0;
    let status = 'RUNNING';
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      status = d.status ?? 'UNKNOWN';
      if (status !== 'RUNNING') break;
      const a0 = performance.now();
      const pending = (await (await fetch(`${url}/_sandbox/api/approvals`)).json()) as {
        approvals: {
          executionArn: string;
          environment: string;
          reviewUrl?: string;
          approvers?: { approver: string }[];
        }[];
      };
      for (const a of pending.approvals.filter((x) => x.executionArn === executionArn)) {
        const quorum = config.environments.find((e) => e.name === a.environment)?.approval.quorum ?? 1;
        for (const p of a.approvers ?? []) {
          const key = `${a.reviewUrl}|${p.approver}`;
          if ((votes[a.environment] ?? 0) >= quorum || voted.has(key)) continue;
          voted.add(key);
          const code = await decideAs(a.reviewUrl!, p.approver, 'approve', 'benchmark approval');
          if (code !== 200) throw new Error(`approving ${a.environment} answered HTTP ${code}`);
          votes[a.environment] = (votes[a.environment] ?? 0) + 1;
          log(`  approved ${a.environment} (${votes[a.environment]}/${quorum})`);
        }
      }
      approvalMs += performance.now() - a0;
      await new Promise((r) => setTimeout(r, 25));
    }
    const wallMs = Math.round(performance.now() - start);
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const stateTransitions = events.filter((e) => e.type?.endsWith('StateEntered')).length;
    // The bench's own calls to the endpoint (DescribeExecution, GetExecutionHistory) are Step Functions
    // reads, not counted by the meter; its approval polling reads the sandbox's own API, not DynamoDB.
    const usage = usageBetween(metered, await settledMeter(url), stateTransitions);
    return {
      price: priceRelease(usage, config),
      wallMs,
      status,
      environments: config.environments.map((e) => e.name),
      votes,
      stateTransitions,
      historyEvents: events.length,
      approvalMs: Math.round(approvalMs),
      configuredWaits: `emulated rollout phase ${phaseMs} ms each (SHIPGATE_SANDBOX_PHASE_MS), verify ${config.verify.attempts} attempts ${config.verify.interval} s apart, no freezes`,
      startupMs,
    };
  } finally {
    await sandbox.stop();
  }
}
