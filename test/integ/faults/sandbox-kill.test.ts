import { randomBytes } from 'node:crypto';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { decideAs, demoManifest } from '../../../sandbox/demo';
import {
  deliveryInit,
  gitlabDelivery,
  pipelinePayload,
  type GitlabDelivery,
} from '../../helpers/gitlab-deliveries';
import { SandboxProcess, testSandbox } from '../sandbox/sandbox-process';
import { credentials, tempDir, waitFor } from '../sandbox/support';

/**
 * The sandbox killed with SIGKILL in the middle of releases loses nothing it acknowledged: every delivery it
 * answered 202 (including one answered just before the kill) is there after a restart — release record,
 * execution, its history up to the kill, the votes already given — and every interrupted execution shows
 * ABORTED with the reason. Redelivering after the restart starts nothing new.
 */
describe('faults: the sandbox killed mid-release', () => {
  const tmp = tempDir('shipgate-faults-sandbox-');
  const token = `faults-token-${randomBytes(8).toString('hex')}`;
  let sandbox: SandboxProcess;
  let url: string;
  let endpoint: string;
  let stateMachineArn: string;
  const client = () => ({ endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });

  beforeAll(async () => {
    ({ sandbox, url, endpoint } = await testSandbox(tmp.dir, token));
    await sandbox.start();
    stateMachineArn = sandbox.stateMachineArn;
  }, 90_000);

  afterAll(async () => {
    await sandbox?.stop();
    tmp.cleanup();
  });

  async function release(pipelineId: number): Promise<{ delivery: GitlabDelivery; sha: string }> {
    const sha = randomBytes(20).toString('hex');
    await new ECRClient(client()).send(
      new PutImageCommand({
        repositoryName: 'inventory-app',
        imageTag: sha,
        imageManifest: demoManifest('inventory-app', sha),
      }),
    );
    return { delivery: gitlabDelivery(pipelinePayload({ id: pipelineId, sha }), { token }), sha };
  }

  async function send(d: GitlabDelivery): Promise<{ status: number; release: string; executionArn: string }> {
    const res = await fetch(`${url}/webhooks/gitlab`, deliveryInit(d));
    const body = (await res.json()) as { release: string; executionArn: string };
    return { status: res.status, ...body };
  }

  async function history(executionArn: string): Promise<HistoryEvent[]> {
    const out = await new SFNClient(client()).send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    return out.events ?? [];
  }

  const entered = async (executionArn: string) =>
    (await history(executionArn)).map((e) => e.stateEnteredEventDetails?.name).filter(Boolean);

  async function approveOnce(executionArn: string, environment: string): Promise<void> {
    const pending = await waitFor(`approval links for ${environment}`, async () => {
      const res = await fetch(`${url}/_sandbox/api/approvals`);
      const { approvals } = (await res.json()) as {
        approvals: {
          executionArn: string;
          environment: string;
          reviewUrl?: string;
          approvers: { approver: string; voted: boolean }[];
        }[];
      };
      return approvals.find(
        (a) => a.executionArn === executionArn && a.environment === environment && a.reviewUrl,
      );
    });
    expect(
      await decideAs(
        pending.reviewUrl!,
        pending.approvers[0].approver,
        'approve',
        'approved before the crash',
      ),
    ).toBe(200);
  }

  it('keeps every acknowledged release, execution, history and vote across SIGKILL, and aborts the interrupted executions with the reason', async () => {
    // A: one production vote of two given; B: waiting for staging; C: acknowledged just before the kill.
    const a = await release(8101);
    const b = await release(8102);
    const c = await release(8103);
    const sentA = await send(a.delivery);
    const sentB = await send(b.delivery);
    expect([sentA.status, sentB.status]).toEqual([202, 202]);
    await approveOnce(sentA.executionArn, 'staging');
    await waitFor(
      'A to wait for production approval',
      async () => ((await entered(sentA.executionArn)).includes('Approve production') ? true : undefined),
      60_000,
    );
    await approveOnce(sentA.executionArn, 'production');
    await waitFor('B to wait for staging approval', async () =>
      (await entered(sentB.executionArn)).includes('Approve staging') ? true : undefined,
    );

    const releaseBefore = async (id: string) => (await fetch(`${url}/api/releases/${id}`)).json();
    const beforeA = (await releaseBefore(sentA.release)) as Record<string, unknown>;
    const historyBefore = {
      a: (await history(sentA.executionArn)).length,
      b: (await history(sentB.executionArn)).length,
    };

    const sentC = await send(c.delivery);
    expect(sentC.status).toBe(202);
    expect(await sandbox.stop('SIGKILL')).toBeNull();

    await sandbox.start();
    const sfn = new SFNClient(client());
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    const arns = listed.executions!.map((e) => e.executionArn);
    for (const sent of [sentA, sentB, sentC]) {
      // The release record the webhook acknowledged…
      const res = await fetch(`${url}/api/releases/${sent.release}`);
      expect({ release: sent.release, status: res.status }).toEqual({ release: sent.release, status: 200 });
      // …and its execution, interrupted, with the reason.
      expect(arns).toContain(sent.executionArn);
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: sent.executionArn }));
      expect({ release: sent.release, status: d.status }).toEqual({
        release: sent.release,
        status: 'ABORTED',
      });
      expect(d.cause).toMatch(/sandbox stopped/);
    }
    // The histories are intact up to the kill (plus the abort).
    expect((await history(sentA.executionArn)).length).toBeGreaterThanOrEqual(historyBefore.a);
    expect((await history(sentB.executionArn)).length).toBeGreaterThanOrEqual(historyBefore.b);
    expect(await entered(sentA.executionArn)).toEqual(
      expect.arrayContaining([
        'Resolve release',
        'Scan',
        'Approve staging',
        'Deploy staging',
        'Approve production',
      ]),
    );
    expect((await history(sentA.executionArn)).some((e) => e.type === 'ExecutionAborted')).toBe(true);
    // The production vote given before the crash is still on the release.
    const afterA = (await (await fetch(`${url}/api/releases/${sentA.release}`)).json()) as Record<
      string,
      unknown
    >;
    const production = (afterA.environments as { name: string; detail?: string }[]).find(
      (e) => e.name === 'production',
    );
    expect(production?.detail).toMatch(/approved by Alice/);
    expect(afterA.id).toBe(beforeA.id);

    // Redeliveries after the restart answer the same executions and start nothing.
    const count = arns.length;
    for (const [d, sent] of [
      [a.delivery, sentA],
      [c.delivery, sentC],
    ] as const) {
      const again = await send(d);
      expect([200, 202]).toContain(again.status);
      expect(again.executionArn).toBe(sent.executionArn);
    }
    const relisted = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    expect(relisted.executions).toHaveLength(count);
  }, 180_000);
});
