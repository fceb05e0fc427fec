import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { runScanGate } from '../../../lambdas/domain/scan/gate';
import { createEmulators, type Emulators } from '../../../sandbox/aws/emulators';
import { createAwsEndpoint } from '../../../sandbox/aws/server';
import { localSdkIntegration } from '../../../sandbox/workflow/sdk-integration';
import { makeConfig, makeRelease } from '../../fixtures/scanners/release';

/**
 * The scan gate against the sandbox's emulated ECR (a real HTTP endpoint on loopback), where an image's
 * `org.shipgate.sandbox.findings` annotation sets what the scan finds: the same code path as `npm start`.
 */
describe('scan gate against the sandbox ECR endpoint', () => {
  let dir: string;
  let emulators: Emulators;
  let server: Server;
  let ecr: ECRClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shipgate-scan-sandbox-'));
    let port = 0;
    emulators = createEmulators({
      stateDir: dir,
      sink: () => undefined,
      sdk: localSdkIntegration(() => port),
    });
    server = createAwsEndpoint({ emulators: [emulators.ecr], dynamoDbPort: 0 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
    ecr = new ECRClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIASANDBOXTEST00000', secretAccessKey: 'sandbox-secret-not-real' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    emulators.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  async function push(repository: string, findings?: Record<string, number>) {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: repository })).catch(() => undefined);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: `sha256:${'0'.repeat(64)}`,
        size: 2,
      },
      layers: [],
      annotations: findings ? { 'org.shipgate.sandbox.findings': JSON.stringify(findings) } : {},
    });
    const put = await ecr.send(
      new PutImageCommand({ repositoryName: repository, imageManifest: manifest, imageTag: 'v1' }),
    );
    const digest = put.image!.imageId!.imageDigest!;
    return {
      service: repository,
      repository,
      digest,
      imageUri: `000000000000.dkr.ecr.us-east-1.amazonaws.com/${repository}@${digest}`,
    };
  }

  it('fails on the annotated CRITICAL finding and passes the clean image', async () => {
    const bad = await push('inventory-app', { CRITICAL: 1, HIGH: 2 });
    const clean = await push('billing-app');
    const summary = await runScanGate(
      { release: makeRelease(), resolved: { images: [bad, clean] } },
      { config: makeConfig(), ecr, gitlab: null },
    );
    expect(summary.passed).toBe(false);
    expect(summary.counts).toEqual({ CRITICAL: 1, HIGH: 2 });
    expect(summary.missing).toEqual([]);
    expect(summary.top[0]).toMatchObject({ id: 'SANDBOX-CRITICAL-0001', service: 'inventory-app' });
    expect(summary.text.split('\n')[0]).toBe(
      'Scan FAILED: staging (CRITICAL 1 > 0); production (CRITICAL 1 > 0, HIGH 2 > 0).',
    );
  });

  it.each([
    ['not JSON', { 'org.shipgate.sandbox.findings': '{CRITICAL:1' }, /findings is not JSON/],
    ['an array', { 'org.shipgate.sandbox.findings': '[1]' }, /must be a JSON object of severity counts/],
    [
      'a misspelt severity',
      { 'org.shipgate.sandbox.findings': '{"CRITICIAL":1}' },
      /unknown severity "CRITICIAL"/,
    ],
    [
      'a count as text',
      { 'org.shipgate.sandbox.findings': '{"HIGH":"2"}' },
      /HIGH: "2"; expected a whole number/,
    ],
    [
      'a negative count',
      { 'org.shipgate.sandbox.findings': '{"LOW":-1}' },
      /LOW: -1; expected a whole number/,
    ],
    ['a non-string annotation', { 'org.shipgate.sandbox.findings': { CRITICAL: 1 } }, /must be a string/],
    [
      'an unknown rollout behaviour',
      { 'org.shipgate.sandbox.rollout': 'crash' },
      /rollout is "crash"; expected fail/,
    ],
  ])('refuses a manifest whose annotation is %s and stores nothing', async (_, annotations, message) => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'api-gateway' })).catch(() => undefined);
    const manifest = JSON.stringify({ schemaVersion: 2, layers: [], annotations });
    const put = ecr.send(
      new PutImageCommand({ repositoryName: 'api-gateway', imageManifest: manifest, imageTag: 'typo' }),
    );
    await expect(put).rejects.toMatchObject({ name: 'InvalidParameterException', message });
    const images = await ecr.send(new DescribeImagesCommand({ repositoryName: 'api-gateway' }));
    expect(images.imageDetails ?? []).toEqual([]);
  });
});
