import { randomBytes } from 'node:crypto';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { demoManifest } from '../../../sandbox/demo';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../../helpers/gitlab-deliveries';
import { testSandbox } from './sandbox-process';
import { credentials, tempDir } from './support';

/**
 * Ctrl-C / SIGTERM while a release is mid-flight (webhook handler, Lambda tasks and DynamoDB writes still
 * running) stops the sandbox cleanly: exit code 0, "Stopped.", no crash from a store closed under a request.
 */
it('stops cleanly with exit code 0 whenever the signal arrives during a release', async () => {
  const tmp = tempDir();
  const token = `test-token-${randomBytes(8).toString('hex')}`;
  const { sandbox, url, endpoint } = await testSandbox(tmp.dir, token);
  const ecr = new ECRClient({ endpoint, region: 'us-east-1', credentials });
  const outcomes: { delayMs: number; code: number | null; stopped: boolean; crash: string | undefined }[] =
    [];
  try {
    for (const delayMs of [0, 30, 120]) {
      await sandbox.start();
      const sha = randomBytes(20).toString('hex');
      await ecr.send(
        new PutImageCommand({
          repositoryName: 'inventory-app',
          imageTag: sha,
          imageManifest: demoManifest('inventory-app', sha, {}),
        }),
      );
      // Not awaited: the signal may land while the delivery itself is being handled (bounded: a request in
      // flight when the process exits can be left unanswered).
      const sent = fetch(`${url}/webhooks/gitlab`, {
        ...deliveryInit(gitlabDelivery(pipelinePayload({ id: 8100 + delayMs, sha }), { token })),
        signal: AbortSignal.timeout(10000),
      }).then(
        (res) => res.status,
        (err: Error) => err.name,
      );
      await new Promise((r) => setTimeout(r, delayMs));
      const code = await sandbox.stop('SIGTERM');
      await sent; // answered, refused or timed out: the outcome of the request itself is not under test
      outcomes.push({
        delayMs,
        code,
        stopped: sandbox.output.includes('Stopped. State kept in'),
        crash: /^\s+at .*$/m.exec(sandbox.output)?.[0],
      });
    }
  } finally {
    await sandbox.stop('SIGKILL');
    tmp.cleanup();
  }
  expect(outcomes).toEqual(
    [0, 30, 120].map((delayMs) => ({ delayMs, code: 0, stopped: true, crash: undefined })),
  );
}, 180000);
