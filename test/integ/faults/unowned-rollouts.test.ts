import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ECSClient, ListServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { parse, stringify } from 'yaml';
import { decideAs, demoManifest } from '../../../sandbox/demo';
import { run as redrive } from '../../../src/cli/redrive';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../../helpers/gitlab-deliveries';
import { type SandboxProcess, testSandbox, writeTestConfig } from '../sandbox/sandbox-process';
import { credentials, runningImage as runningImageOf, tempDir, waitFor } from '../sandbox/support';

/**
 * Issue 27, "Done when": every kind of wait a release can be in when its execution ends — an approval, a
 * rollout in progress, a canary paused at an ECS PAUSE hook — is ended twice, with StopExecution and by
 * SIGKILL of the sandbox followed by a restart. Within a few configured minutes each case shows the true ECS
 * state, ledger entry, quarantine, lock and chat message, and a person can still roll back. A handler made
 * to throw on one event (the sandbox's test-only fault switch) leaves it in the on-failure destination, and
 * `shipgate redrive` applies it.
 *
 * One sandbox for all cases (2 shared cores). Timing: SHIPGATE_SANDBOX_PHASE_MS=150, so inventory-app's
 * 60-minute canary bake in staging lasts 9 s (a rollout in progress to stop) and billing-app's 240-minute
 * pause 36 s; the reconciler runs every 2 s; Lambda's async retries wait 0.3 s and 0.6 s.
 *
 * The fourth wait, a rollback in progress, runs last, on the same sandbox restarted with 2 s phases
 * (SHIPGATE_SANDBOX_PHASE_MS=2000): billing-app's image is annotated `unhealthy`, so the smoke check on its
 * canary's test traffic fails and ECS rolls the service deployment back (ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS
 * → ROLLBACK_SUCCESSFUL, one phase each) while the release waits for it. Two phases of 2 s leave time to end
 * the execution while ECS is rolling back.
 */
const PROJECTS = {
  'api-gateway': { id: 10, path: 'root/api-gateway' },
  'inventory-app': { id: 11, path: 'root/inventory-app' },
  'billing-app': { id: 12, path: 'root/billing-app' },
} as const;
type Service = keyof typeof PROJECTS;

/** What one case showed, for the report table. */
const observed: Record<string, Record<string, string>> = {};

describe('faults: every rollout stays in people’s hands when its execution ends', () => {
  const tmp = tempDir('shipgate-faults-unowned-');
  const token = `faults-token-${randomBytes(8).toString('hex')}`;
  let sandbox: SandboxProcess;
  let url: string;
  let endpoint: string;
  const client = () => ({ endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });
  const ddb = () => DynamoDBDocumentClient.from(new DynamoDBClient(client()));

  beforeAll(async () => {
    const file = writeTestConfig(tmp.dir, { keepPauses: true });
    const config = parse(readFileSync(file, 'utf8')) as {
      services: Record<string, { environments?: Record<string, Record<string, unknown>> }>;
      rollout: Record<string, unknown>;
    };
    config.services['billing-app'].environments = {
      staging: {
        strategy: 'CANARY',
        canaryPercent: 10,
        bakeTime: '1m',
        pauses: [
          {
            at: 'PRE_PRODUCTION_TRAFFIC_SHIFT',
            approvers: ['alice', 'bob', 'carol'],
            quorum: 2,
            timeout: '240m',
          },
        ],
      },
    };
    config.services['inventory-app'].environments = {
      staging: { strategy: 'CANARY', canaryPercent: 10, bakeTime: '60m' },
    };
    // Long enough that no lost event is covered by "Check rollout" before the test looks (10 minutes).
    config.rollout = { ...config.rollout, timeout: '3h', eventGrace: '10m', lockLease: '12h' };
    writeFileSync(file, stringify(config));
    ({ sandbox, url, endpoint } = await testSandbox(tmp.dir, token, {
      configFile: file,
      env: { SHIPGATE_RECONCILE_MS: '2000', SHIPGATE_SANDBOX_RETRY_MS: '300' },
    }));
    await sandbox.start();
  }, 90_000);

  afterAll(async () => {
    await sandbox?.stop();
    if (process.env.SHIPGATE_FAULTS_LOG)
      writeFileSync(process.env.SHIPGATE_FAULTS_LOG, sandbox?.output ?? '');
    tmp.cleanup();
    // The table of the report (also printed for the record).
    const rows = Object.entries(observed).map(
      ([k, v]) =>
        `| ${k} | ${['ecs', 'ledger', 'quarantine', 'lock', 'chat', 'rollback'].map((c) => v[c] ?? '—').join(' | ')} |`,
    );
    process.stdout.write(
      `\n| case × ending | ECS | ledger | quarantine | lock | chat | person can roll back |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`,
    );
  });

  /** Pushes an image (with `annotations`, see sandbox/README.md) and posts its pipeline webhook. */
  async function release(service: Service, pipelineId: number, annotations: Record<string, string> = {}) {
    const sha = randomBytes(20).toString('hex');
    const put = await new ECRClient(client()).send(
      new PutImageCommand({
        repositoryName: service,
        imageTag: sha,
        imageManifest: demoManifest(service, sha, annotations),
      }),
    );
    const payload = pipelinePayload({ id: pipelineId, sha });
    Object.assign(payload.project as Record<string, unknown>, {
      id: PROJECTS[service].id,
      path_with_namespace: PROJECTS[service].path,
      name: service,
    });
    const res = await fetch(`${url}/webhooks/gitlab`, deliveryInit(gitlabDelivery(payload, { token })));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { executionArn: string; release: string };
    return {
      service,
      sha,
      digest: put.image!.imageId!.imageDigest!,
      arn: body.executionArn,
      id: body.release,
    };
  }
  type Release = Awaited<ReturnType<typeof release>>;

  /** Approves the pending approval of `executionArn` in `environment` as its first approver, signed in. */
  async function approve(executionArn: string, environment: string, reason: string) {
    const pending = await approvalLinks(executionArn, environment);
    expect(await decideAs(pending.reviewUrl!, pending.approvers[0].approver, 'approve', reason)).toBe(200);
  }

  async function approvalLinks(executionArn: string, environment: string) {
    const why = async () => {
      const id = executionArn.split(':').pop();
      const rec = await (await fetch(`${url}/api/releases/${id}`)).text();
      return `release ${id}: ${rec.slice(0, 1500)}`;
    };
    return waitFor(
      `approval links for ${environment}`,
      async () => {
        const res = await fetch(`${url}/_sandbox/api/approvals`);
        const { approvals } = (await res.json()) as {
          approvals: {
            executionArn: string;
            environment: string;
            reviewUrl?: string;
            approvers: { approver: string }[];
          }[];
        };
        return approvals.find(
          (a) => a.executionArn === executionArn && a.environment === environment && a.reviewUrl,
        );
      },
      60_000,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await why()}`);
    });
  }

  const history = async (arn: string) =>
    (
      await new SFNClient(client()).send(
        new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }),
      )
    ).events ?? [];
  const entered = async (arn: string) => (await history(arn)).map((e) => e.stateEnteredEventDetails?.name);
  const chat = async () =>
    ((await (await fetch(`${url}/_sandbox/api/chat`)).json()) as { messages: { text: string }[] }).messages;
  const item = async (pk: string, sk: string) =>
    (await ddb().send(new GetCommand({ TableName: 'shipgate', Key: { pk, sk }, ConsistentRead: true }))).Item;
  const ledger = (r: Release) => item(`LEDGER#release#${r.id}#staging#${r.service}`, 'ENTRY');
  const quarantine = (r: Release) => item(`QUARANTINE#${r.service}#${r.digest}`, 'QUARANTINE');
  const lock = (r: Release) => item(`LOCK#staging#${r.service}`, 'LOCK');

  const runningImage = (service: string) => runningImageOf(endpoint, 'shipgate-staging', service);

  async function latestServiceDeployment(service: string) {
    const out = await new ECSClient(client()).send(
      new ListServiceDeploymentsCommand({ cluster: 'shipgate-staging', service }),
    );
    return out.serviceDeployments?.sort((a, b) => Number(b.createdAt) - Number(a.createdAt))[0];
  }

  /** The three waits, each brought to its waiting point. */
  async function bringToWaits(pipelineBase: number) {
    const approval = await release('api-gateway', pipelineBase + 1);
    const inProgress = await release('inventory-app', pipelineBase + 2);
    const paused = await release('billing-app', pipelineBase + 3);
    await approvalLinks(approval.arn, 'staging');
    await approve(inProgress.arn, 'staging', 'go');
    await approve(paused.arn, 'staging', 'go');
    // The canary of inventory-app bakes (ECS IN_PROGRESS); billing-app waits at its PAUSE hook.
    await waitFor(
      'inventory-app rolling out in staging',
      async () =>
        (await latestServiceDeployment('inventory-app'))?.status === 'IN_PROGRESS' &&
        (await entered(inProgress.arn)).includes('Deploy staging')
          ? true
          : undefined,
      60_000,
    );
    await waitFor(
      'billing-app paused in staging',
      async () =>
        (await chat()).some(
          (m) => m.text.startsWith('Decision needed:') && m.text.includes(paused.sha.slice(0, 8)),
        )
          ? true
          : undefined,
      60_000,
    );
    return { approval, inProgress, paused };
  }

  /** Checks each case after its execution ended and records what was observed. */
  async function checkOutcomes(
    ending: string,
    waits: Awaited<ReturnType<typeof bringToWaits>>,
    before: { inventory: string; billing: string },
  ) {
    const { approval, inProgress, paused } = waits;
    const sfn = new SFNClient(client());

    // An approval: the execution ABORTED, the release ABORTED, the approval closed, "Aborted" in chat, no ledger.
    const a = await waitFor(
      `approval case (${ending}) recorded`,
      async () => {
        const rec = (await (await fetch(`${url}/api/releases/${approval.id}`)).json()) as { status: string };
        const told = (await chat()).find(
          (m) => m.text.startsWith('Aborted') && m.text.includes(approval.sha.slice(0, 8)),
        );
        return rec.status === 'ABORTED' && told ? { rec, told } : undefined;
      },
      120_000,
    );
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: approval.arn }))).status).toBe(
      'ABORTED',
    );
    const pending = (await (await fetch(`${url}/_sandbox/api/approvals`)).json()) as {
      approvals: { executionArn: string }[];
    };
    expect(pending.approvals.some((p) => p.executionArn === approval.arn)).toBe(false);
    expect(await ledger(approval)).toBeUndefined();
    observed[`approval × ${ending}`] = {
      ecs: 'untouched (no rollout)',
      ledger: 'none (never deployed)',
      quarantine: 'none',
      lock: (await lock(approval)) ? 'HELD' : 'free',
      chat: a.told.text.split('\n')[0],
      rollback: 'n/a (nothing deployed)',
    };

    // A rollout in progress: ECS finishes it; the ledger says deployed, "finished after the release ended".
    const ip = await waitFor(
      `in-progress case (${ending}) recorded`,
      async () => {
        const entry = await ledger(inProgress);
        return entry ? entry : undefined;
      },
      120_000,
    );
    expect(ip).toMatchObject({
      outcome: 'deployed',
      note: 'finished after the release ended',
      digest: inProgress.digest,
    });
    expect(await runningImage('inventory-app')).toMatch(new RegExp(`@${inProgress.digest}$`));
    expect(await quarantine(inProgress)).toBeUndefined();
    await waitFor(
      'inventory-app lock free',
      async () => ((await lock(inProgress)) ? undefined : true),
      30_000,
    );
    const ipChat = await waitFor('in-progress chat', async () =>
      (await chat()).find(
        (m) =>
          m.text.includes('finished after the release ended') &&
          m.text.includes('inventory-app') &&
          m.text.includes(inProgress.sha.slice(0, 8)),
      ),
    );
    const ipRelease = (await (await fetch(`${url}/api/releases/${inProgress.id}`)).json()) as {
      environments: { name: string; status: string; detail?: string }[];
    };
    expect(ipRelease.environments.find((e) => e.name === 'staging')).toMatchObject({ status: 'DEPLOYED' });
    observed[`rollout in progress × ${ending}`] = {
      ecs: `COMPLETED, runs the new digest (before: ${before.inventory === (await runningImage('inventory-app')) ? 'same' : 'older'})`,
      ledger: `deployed, "${ip.note}"`,
      quarantine: 'none',
      lock: 'free',
      chat: ipChat.text.split('\n')[0],
    };

    // A paused canary: Shipgate's default rolls it back; the ledger and quarantine say so.
    const pc = await waitFor(
      `paused case (${ending}) recorded`,
      async () => {
        const entry = await ledger(paused);
        return entry ? entry : undefined;
      },
      120_000,
    );
    expect(pc).toMatchObject({
      outcome: 'rolled-back-by-shipgate',
      note: 'finished after the release ended',
    });
    expect(await runningImage('billing-app')).toBe(before.billing);
    const q = await quarantine(paused);
    expect(q).toBeDefined();
    await waitFor('billing-app lock free', async () => ((await lock(paused)) ? undefined : true), 30_000);
    const left = await waitFor('paused chat', async () =>
      (await chat()).find(
        (m) =>
          m.text.startsWith('The release ended while billing-app in staging') &&
          m.text.includes(paused.sha.slice(0, 8)),
      ),
    );
    expect(left.text).toContain('roll back');
    observed[`canary paused × ${ending}`] = {
      ecs: 'rolled back (ContinueServiceDeployment ROLLBACK), old digest runs',
      ledger: `rolled-back-by-shipgate + rollback entry, "${pc.note}"`,
      quarantine: `quarantined (${String(q!.status ?? 'active')})`,
      lock: 'free',
      chat: left.text.split('\n')[0],
      rollback: 'rolled back by Shipgate\'s default (a pause link\'s "roll back" while ECS waits: unit test)',
    };
  }

  it('a handler that throws on one event leaves it in the on-failure destination; shipgate redrive applies it', async () => {
    // rollout-events fails on the completion of inventory-app's staging rollout (1 + 2 retries).
    const armed = await fetch(`${url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        function: 'rollout-events',
        match: ['SERVICE_DEPLOYMENT_COMPLETED', 'shipgate-staging/inventory-app'],
        times: 3,
      }),
    });
    expect(armed.status).toBe(201);
    const r = await release('inventory-app', 27001);
    await approve(r.arn, 'staging', 'go');
    await waitFor(
      'the fault to be used up',
      async () => {
        const { faults } = (await (await fetch(`${url}/_sandbox/faults`)).json()) as { faults: unknown[] };
        return faults.length === 0 ? true : undefined;
      },
      120_000,
    );
    // The event is in the destination queue, and the release still waits in "Deploy staging".
    const out: string[] = [];
    const env = { SHIPGATE_AWS_PORT: new URL(endpoint).port };
    await waitFor(
      'the record in the destination',
      async () => {
        const listed: string[] = [];
        const code = await redrive(['--dry-run'], { env, stdout: (s) => listed.push(s) });
        return code === 0 && listed.join('').includes('shipgate-rollout-events') ? true : undefined;
      },
      30_000,
    );
    const record = (await (await fetch(`${url}/api/releases/${r.id}`)).json()) as { currentStep?: string };
    expect(record.currentStep).toMatch(/Deploy staging|Start rollout staging/);
    // shipgate redrive replays it: the rollout settles and the release moves on to production's approval.
    expect(await redrive([], { env, stdout: (s) => out.push(s) })).toBe(0);
    expect(out.join('')).toMatch(/replayed\s+shipgate-rollout-events/);
    expect(out.join('')).toContain('1 replayed, 0 failed again');
    await approvalLinks(r.arn, 'production');
    const after = (await (await fetch(`${url}/api/releases/${r.id}`)).json()) as {
      environments: { name: string; status: string }[];
    };
    expect(after.environments.find((e) => e.name === 'staging')?.status).toBe('DEPLOYED');
    // Nothing left to replay.
    const again: string[] = [];
    expect(await redrive([], { env, stdout: (s) => again.push(s) })).toBe(0);
    expect(again.join('')).toContain('Nothing to redrive');
    await new SFNClient(client()).send(
      new StopExecutionCommand({ executionArn: r.arn, cause: 'done with this one' }),
    );
  }, 240_000);

  it('StopExecution at each wait: the truth from ECS is recorded, nothing is left without an owner', async () => {
    const before = {
      inventory: await runningImage('inventory-app'),
      billing: await runningImage('billing-app'),
    };
    const waits = await bringToWaits(27100);
    const sfn = new SFNClient(client());
    for (const r of [waits.approval, waits.inProgress, waits.paused]) {
      await sfn.send(
        new StopExecutionCommand({
          executionArn: r.arn,
          error: 'Operator.Stop',
          cause: 'stopped by the fault suite',
        }),
      );
    }
    await checkOutcomes('StopExecution', waits, before);
  }, 420_000);

  it('SIGKILL of the sandbox at each wait, then a restart: the same truth, and a person can still roll back', async () => {
    const before = {
      inventory: await runningImage('inventory-app'),
      billing: await runningImage('billing-app'),
    };
    const waits = await bringToWaits(27200);
    expect(await sandbox.stop('SIGKILL')).toBeNull();
    await sandbox.start();
    await checkOutcomes('SIGKILL + restart', waits, before);
    // A person can roll inventory-app back by hand: the previous release (StopExecution round) comes back.
    const res = await fetch(`${url}/api/rollbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        service: 'inventory-app',
        environment: 'staging',
        reason: 'unverified after a crash',
        by: 'carol',
      }),
    });
    expect(res.status).toBe(202);
    const {
      rollback: { id },
    } = (await res.json()) as { rollback: { id: string } };
    let last = '';
    const done = await waitFor(
      'the manual rollback',
      async () => {
        last = await (await fetch(`${url}/api/rollbacks/${id}`)).text();
        const r = (JSON.parse(last) as { rollback: { status: string } }).rollback;
        return r.status === 'ROLLED_BACK' || r.status === 'FAILED' ? r : undefined;
      },
      180_000,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}\nlast: ${last.slice(0, 2000)}\nsandbox: ${sandbox.output.slice(-3000)}`,
      );
    });
    expect(done.status).toBe('ROLLED_BACK');
    expect(await runningImage('inventory-app')).not.toMatch(new RegExp(`@${waits.inProgress.digest}$`));
    observed['rollout in progress × SIGKILL + restart'].rollback = 'POST /api/rollbacks → ROLLED_BACK';
  }, 480_000);

  it('a graceful stop (SIGINT) at an approval posts "Aborted" and closes the approval, as SIGKILL does', async () => {
    const r = await release('api-gateway', 27301);
    const pending = await approvalLinks(r.arn, 'staging');
    expect(await sandbox.stop('SIGINT')).toBe(0);
    await sandbox.start();
    // The restart finds nothing interrupted: what is there was written by the graceful stop itself.
    expect(sandbox.output).not.toContain(r.id);
    const told = (await chat()).find(
      (m) => m.text.startsWith('Aborted') && m.text.includes(r.sha.slice(0, 8)),
    );
    expect(told?.text).toContain('The execution was stopped');
    const rec = (await (await fetch(`${url}/api/releases/${r.id}`)).json()) as { status: string };
    expect(rec.status).toBe('ABORTED');
    const page = await (await fetch(pending.reviewUrl!)).text();
    expect(page).toContain('no longer waiting');
    const approvals = (await (await fetch(`${url}/_sandbox/api/approvals`)).json()) as {
      approvals: { executionArn: string }[];
    };
    expect(approvals.approvals.some((a) => a.executionArn === r.arn)).toBe(false);
    observed['approval × SIGINT (graceful stop)'] = {
      ecs: 'untouched',
      ledger: 'none',
      quarantine: 'none',
      lock: 'free',
      chat: told!.text.split('\n')[0],
      rollback: 'n/a',
    };
  }, 180_000);
  /**
   * A rollback in progress: billing-app's unhealthy canary fails its smoke check on test traffic and ECS rolls
   * the service deployment back, while the release still waits in "Deploy staging" (`rollout-events` settles
   * the rollout only once ECS's rollback ended; "Roll back staging" then finds it done). Returns the release
   * and ECS's status at the moment it was caught.
   */
  async function bringToRollback(pipelineId: number) {
    const r = await release('billing-app', pipelineId, { 'org.shipgate.sandbox.rollout': 'unhealthy' });
    await approve(r.arn, 'staging', 'go');
    const sfn = new SFNClient(client());
    let seen = '';
    const atEnd = await waitFor(
      'ECS rolling billing-app back in staging while the release waits for it',
      async () => {
        const sd = await latestServiceDeployment('billing-app');
        seen = String(sd?.status);
        if (sd?.status !== 'ROLLBACK_REQUESTED' && sd?.status !== 'ROLLBACK_IN_PROGRESS') return undefined;
        const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn: r.arn }));
        return status === 'RUNNING' ? sd.status : undefined;
      },
      120_000,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}
ECS: ${seen}
states: ${(await entered(r.arn)).join(' > ')}`);
    });
    return { r, atEnd };
  }

  /** Checks the rollback case after its execution ended and records what was observed. */
  async function checkRollbackOutcome(ending: string, r: Release, before: string, atEnd: string) {
    // ECS finishes the rollback: the previous revision runs again.
    await waitFor(
      `billing-app's rollback (${ending}) finished in ECS`,
      async () =>
        (await latestServiceDeployment('billing-app'))?.status === 'ROLLBACK_SUCCESSFUL' ? true : undefined,
      120_000,
    );
    expect(await runningImage('billing-app')).toBe(before);
    // The ledger: rolled back by ECS, written from ECS's final state because no workflow step was left.
    const entry = await waitFor(
      `rollback case (${ending}) in the ledger`,
      async () => (await ledger(r)) ?? undefined,
      120_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nsandbox: ${sandbox.output.slice(-3000)}`);
    });
    expect(entry).toMatchObject({
      outcome: 'rolled-back-by-ecs',
      note: 'finished after the release ended',
      digest: r.digest,
    });
    // The ledger's writes come one after another (entry, rollback entry, quarantine): wait for the last.
    const q = await waitFor(
      `rollback case (${ending}) quarantined`,
      async () => (await quarantine(r)) ?? undefined,
    );
    await waitFor('billing-app lock free', async () => ((await lock(r)) ? undefined : true), 30_000);
    const told = await waitFor('rollback chat', async () =>
      (await chat()).find(
        (m) =>
          m.text.includes('billing-app') &&
          m.text.includes(r.sha.slice(0, 8)) &&
          m.text.includes('rolled it back') &&
          m.text.includes('finished after the release ended'),
      ),
    );
    expect(told.text).toContain('is quarantined');
    const rec = (await (await fetch(`${url}/api/releases/${r.id}`)).json()) as {
      environments: { name: string; status: string }[];
    };
    expect(rec.environments.find((e) => e.name === 'staging')).toMatchObject({ status: 'ROLLED_BACK' });
    // A person can still roll back: the lock the ended execution held is not in the way.
    const res = await fetch(`${url}/api/rollbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        service: 'billing-app',
        environment: 'staging',
        reason: `after the rollback case (${ending})`,
        by: 'carol',
      }),
    });
    const answer = (await res.json()) as { code?: string; error?: string; rollback?: { id: string } };
    expect(answer.code).not.toBe('RolloutLocked');
    let rollback: string;
    if (res.status === 202) {
      const id = answer.rollback!.id;
      const done = await waitFor(
        'the manual rollback of billing-app',
        async () => {
          const rb = (
            (await (await fetch(`${url}/api/rollbacks/${id}`)).json()) as { rollback: { status: string } }
          ).rollback;
          return rb.status === 'ROLLED_BACK' || rb.status === 'FAILED' ? rb : undefined;
        },
        180_000,
      );
      expect(done.status).toBe('ROLLED_BACK');
      rollback = 'POST /api/rollbacks → 202, ROLLED_BACK to the release before';
    } else {
      // Nothing older to go back to: the answer says so (moot, not locked).
      expect(res.status).toBe(409);
      rollback = `moot: POST /api/rollbacks → 409 ${answer.code} (${String(answer.error).slice(0, 100)})`;
    }
    observed[`rollback in progress × ${ending}`] = {
      ecs: `${atEnd} at the end → ROLLBACK_SUCCESSFUL, old digest runs`,
      ledger: `${String(entry.outcome)}, "${String(entry.note)}"`,
      quarantine: `quarantined (${String(q.status ?? 'active')})`,
      lock: 'free',
      chat: told.text.split('\n')[0],
      rollback,
    };
  }

  it('StopExecution while a rollback is in progress: ECS finishes it, the ledger and quarantine say so', async () => {
    // Two-second phases from here on, so ECS's rollback lasts long enough to end the execution during it.
    await sandbox.stop('SIGINT');
    await sandbox.start(60_000, { SHIPGATE_SANDBOX_PHASE_MS: '2000' });
    const before = await runningImage('billing-app');
    const { r, atEnd } = await bringToRollback(27401);
    await new SFNClient(client()).send(
      new StopExecutionCommand({
        executionArn: r.arn,
        error: 'Operator.Stop',
        cause: 'stopped by the fault suite',
      }),
    );
    // The execution ended while ECS still rolled back: no workflow step is left to record it.
    expect(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS']).toContain(
      (await latestServiceDeployment('billing-app'))?.status,
    );
    await checkRollbackOutcome('StopExecution', r, before, atEnd);
  }, 420_000);

  it('SIGKILL of the sandbox while a rollback is in progress, then a restart: the same truth', async () => {
    const before = await runningImage('billing-app');
    const { r, atEnd } = await bringToRollback(27402);
    expect(await sandbox.stop('SIGKILL')).toBeNull();
    await sandbox.start(60_000, { SHIPGATE_SANDBOX_PHASE_MS: '2000' });
    // The restart ends what the killed sandbox left running (as at the other waits).
    const sfn = new SFNClient(client());
    await waitFor('the killed execution ended', async () => {
      const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn: r.arn }));
      return status !== 'RUNNING' ? status : undefined;
    });
    await checkRollbackOutcome('SIGKILL + restart', r, before, atEnd);
  }, 420_000);
});
