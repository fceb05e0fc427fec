import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeImageScanFindingsCommand,
  ECRClient,
  ScanNotFoundException,
  type DescribeImageScanFindingsCommandOutput,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { gitlabClient } from '../../../lambdas/domain/gitlab/client';
import { attributeReport, imageRepository, runScanGate } from '../../../lambdas/domain/scan/gate';
import { ScanGateFailed } from '../../../lambdas/domain/scan/types';
import { setConfigForTesting } from '../../../lambdas/shared/config';
import { ecrWaitSeconds, handler } from '../../../lambdas/steps/scan';
import { startFakeGitlab, type FakeGitlab } from '../../helpers/fake-gitlab';
import { makeConfig, makeImage, makeRelease } from '../../fixtures/scanners/release';

const text = (name: string) => readFileSync(join(__dirname, '../../fixtures/scanners', name), 'utf8');
const ecrFixture = (name: string) => JSON.parse(text(name)) as DescribeImageScanFindingsCommandOutput;

const ecrMock = mockClient(ECRClient);
const ecr = new ECRClient({ region: 'eu-west-1' });
/** Sleeping advances the clock, so bounded ECR waits finish at once. */
let time = Date.parse('2026-11-22T01:00:00Z');
const clock = {
  now: () => time,
  sleep: async (ms: number) => {
    time += ms;
  },
};

let gitlab: FakeGitlab;

const apiRelease = makeRelease({
  id: 'api-gateway-p900-4f1c2e9a7b3d',
  project: { id: 3, path: 'root/api-gateway' },
  pipeline: { id: 900 },
  services: ['api-gateway'],
});
const apiImage = makeImage('api-gateway', 1);

beforeEach(async () => {
  ecrMock.reset();
  time = Date.parse('2026-11-22T01:00:00Z');
  gitlab = await startFakeGitlab();
  // The api-gateway pipeline: a Trivy job keeping trivy-report.json, GitLab's Semgrep SAST job with its report.
  gitlab.addJob(
    3,
    900,
    {
      id: 5001,
      name: 'trivy',
      stage: 'scan',
      artifacts: [{ file_type: 'archive', filename: 'artifacts.zip', size: 4096 }],
      artifacts_file: { filename: 'artifacts.zip', size: 4096 },
    },
    { 'trivy-report.json': text('trivy-image.json') },
  );
  gitlab.addJob(
    3,
    900,
    {
      id: 5002,
      name: 'semgrep-sast',
      stage: 'test',
      artifacts: [
        { file_type: 'archive', filename: 'artifacts.zip', size: 2048 },
        { file_type: 'sast', filename: 'gl-sast-report.json', size: 2048 },
      ],
      artifacts_file: { filename: 'artifacts.zip', size: 2048 },
    },
    { 'gl-sast-report.json': text('gl-sast-report.json') },
  );
  gitlab.addJob(3, 900, { id: 5003, name: 'build', stage: 'build', artifacts: [] });
});

afterEach(async () => {
  await gitlab.stop();
  setConfigForTesting(undefined);
});

const api = () => gitlabClient({ url: gitlab.url, token: gitlab.token }, 5000);

describe('scan gate over ECR and the pipeline reports', () => {
  /** Pipeline 812 has a `container_scanning` job whose report is `report`; ECR has no scan of any image. */
  function withContainerScanningJobAndNoEcrScan(report: string): void {
    gitlab.addJob(
      7,
      812,
      {
        id: 6001,
        name: 'container_scanning',
        artifacts: [
          { file_type: 'archive', filename: 'artifacts.zip', size: 1024 },
          { file_type: 'container_scanning', filename: 'gl-container-scanning-report.json', size: 1024 },
        ],
        artifacts_file: { filename: 'artifacts.zip', size: 1024 },
      },
      { 'gl-container-scanning-report.json': report },
    );
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ScanNotFoundException({ message: 'no scan', $metadata: {} }));
  }

  it('stops a release with CRITICAL findings, merging ECR, Trivy and Semgrep SAST findings', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(ecrFixture('ecr-basic.json'));
    const summary = await runScanGate(
      { release: apiRelease, resolved: { images: [apiImage] } },
      { config: makeConfig(), ecr, gitlab: api(), ...clock },
    );
    expect(summary.passed).toBe(false);
    expect(summary.counts).toEqual({ CRITICAL: 2, HIGH: 1, MEDIUM: 3, LOW: 1, INFORMATIONAL: 1 });
    expect(summary.sources.sort()).toEqual(['ecr', 'gitlab-sast', 'trivy']);
    expect(summary.top[0]).toMatchObject({
      id: 'CVE-2023-45853',
      package: 'zlib1g 1:1.2.13.dfsg-1',
      service: 'api-gateway',
      sources: ['ecr', 'trivy'],
    });
    expect(summary.top[1]).toMatchObject({
      id: 'bandit.B602',
      package: 'inventory/jobs.py:17',
      service: 'api-gateway',
      sources: ['gitlab-sast'],
    });
    expect(summary.text.split('\n')[0]).toBe(
      'Scan FAILED: staging (CRITICAL 2 > 0); production (CRITICAL 2 > 0, HIGH 1 > 0).',
    );
    // Only the scanner jobs' artifacts were fetched; the build job was left alone.
    const downloads = gitlab.requestsTo('GET', /\/jobs\/\d+\/artifacts\//).map((r) => r.path);
    expect(downloads).toEqual(expect.arrayContaining(['/projects/3/jobs/5001/artifacts/trivy-report.json']));
    expect(downloads).toEqual(
      expect.arrayContaining(['/projects/3/jobs/5002/artifacts/gl-sast-report.json']),
    );
    expect(downloads.some((p) => p.includes('/5003/'))).toBe(false);
  });

  it('passes an allowlisted release and says why in the summary', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(ecrFixture('ecr-basic.json'));
    const config = makeConfig({
      scan: {
        whenMissing: 'fail',
        waitFor: '60s',
        allowlist: [
          {
            id: 'CVE-2023-45853',
            reason: 'MiniZip is not built into zlib1g; nothing here writes zip files',
            expires: '2027-02-28',
          },
          {
            id: 'B602',
            reason: 'the shell command is a fixed string, no input reaches it',
            expires: '2027-02-28',
          },
          {
            id: 'GHSA-3xgq-45jj-v275',
            reason: 'cross-spawn only runs at build time with fixed arguments',
            expires: '2027-02-28',
            services: ['api-gateway'],
          },
        ],
      },
    });
    const summary = await runScanGate(
      { release: apiRelease, resolved: { images: [apiImage] } },
      { config, ecr, gitlab: api(), ...clock },
    );
    expect(summary.passed).toBe(true);
    expect(summary.counts).toEqual({ MEDIUM: 3, LOW: 1, INFORMATIONAL: 1 });
    expect(summary.text).toContain(
      'Allowlisted: CVE-2023-45853 ×1 until 2027-02-28: MiniZip is not built into zlib1g; nothing here writes zip files',
    );
    // The Bandit test id matches the Semgrep finding bandit.B602 through its alias.
    expect(summary.allowlisted).toContainEqual(expect.objectContaining({ id: 'B602', count: 1 }));
    // Trivy names the GHSA advisory only in the references of the cross-spawn finding.
    expect(summary.text).toContain('Allowlisted: GHSA-3xgq-45jj-v275 ×1 (api-gateway) until 2027-02-28');
  });

  it('counts an image covered by a GitLab container scan as scanned, and a missing one against the gate', async () => {
    const shop = makeRelease();
    withContainerScanningJobAndNoEcrScan(text('gl-container-scanning-report.json'));
    const summary = await runScanGate(
      { release: shop, resolved: { images: [makeImage('inventory-app', 2), makeImage('billing-app', 3)] } },
      { config: makeConfig(), ecr, gitlab: api(), ...clock },
    );
    expect(summary.missing.map((m) => m.service)).toEqual(['billing-app']);
    expect(summary.notes.join('\n')).toContain(
      'covered by gl-container-scanning-report.json (job container_scanning)',
    );
    expect(summary.top[0]).toMatchObject({
      id: 'CVE-2023-45853',
      package: 'zlib1g 1:1.2.13.dfsg-1',
      service: 'inventory-app',
      sources: ['gitlab-container-scanning'],
    });
    expect(summary.environments.production.exceeded).toEqual(['CRITICAL 1 > 0', '1 image scan missing']);
  });

  it('does not count an image as scanned by a container scanning report whose scan failed', async () => {
    const shop = makeRelease();
    const failed = JSON.parse(text('gl-container-scanning-report.json')) as { scan: Record<string, unknown> };
    failed.scan.status = 'failure';
    withContainerScanningJobAndNoEcrScan(JSON.stringify(failed));
    const summary = await runScanGate(
      { release: shop, resolved: { images: [makeImage('inventory-app', 2), makeImage('billing-app', 3)] } },
      { config: makeConfig(), ecr, gitlab: api(), ...clock },
    );
    expect(summary.missing.map((m) => m.service)).toEqual(['inventory-app', 'billing-app']);
    expect(summary.notes).toContain(
      'gl-container-scanning-report.json of job container_scanning reports a failed scan; it does not cover any image',
    );
    // What it did report still counts.
    expect(summary.counts).toMatchObject({ CRITICAL: 1, MEDIUM: 1 });
    expect(summary.environments.staging.exceeded).toEqual(['CRITICAL 1 > 0', '2 image scans missing']);
  });

  it('still gates on ECR when GitLab fails, and notes it', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(ecrFixture('ecr-basic.json'));
    gitlab.fail({ path: /\/pipelines\/900\/jobs$/, status: 500 });
    const summary = await runScanGate(
      { release: apiRelease, resolved: { images: [apiImage] } },
      { config: makeConfig(), ecr, gitlab: api(), ...clock },
    );
    expect(summary.sources).toEqual(['ecr']);
    expect(summary.counts).toEqual({ CRITICAL: 1, LOW: 1 });
    expect(summary.notes[0]).toMatch(/^GitLab security reports not read \(HTTP 500/);
  });

  it('tells the user when a declared report is not downloadable', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(ecrFixture('ecr-basic.json'));
    gitlab.addJob(3, 900, {
      id: 5004,
      name: 'nodejs-scan-sast',
      artifacts: [{ file_type: 'sast', filename: 'gl-sast-report.json', size: 100 }],
      artifacts_file: { filename: 'artifacts.zip', size: 100 },
    });
    const summary = await runScanGate(
      { release: apiRelease, resolved: { images: [apiImage] } },
      { config: makeConfig(), ecr, gitlab: api(), ...clock },
    );
    expect(summary.notes).toContain(
      'job nodejs-scan-sast declares gl-sast-report.json as a report but it is not in its artifacts archive; add it to artifacts:paths too',
    );
  });
});

describe('report attribution', () => {
  const images = [makeImage('inventory-app', 2), makeImage('billing-app', 3)];
  it('matches the scanned image to a service by repository or digest', () => {
    expect(imageRepository('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:1.2')).toBe('team/api');
    expect(imageRepository('localhost:5000/api@sha256:abc')).toBe('api');
    expect(
      attributeReport({ jobName: 'x' }, 'registry.example.com/billing-app:abc', images, [
        'inventory-app',
        'billing-app',
      ]),
    ).toEqual({
      service: 'billing-app',
      scannedImage: true,
    });
    expect(
      attributeReport({ jobName: 'x' }, `r/other@${images[0].digest}`, images, ['inventory-app']),
    ).toEqual({
      service: 'inventory-app',
      scannedImage: true,
    });
    expect(
      attributeReport({ jobName: 'sast:billing-app' }, undefined, images, ['inventory-app', 'billing-app']),
    ).toEqual({
      service: 'billing-app',
      scannedImage: false,
    });
    expect(attributeReport({ jobName: 'sast' }, undefined, images, ['inventory-app', 'billing-app'])).toEqual(
      {
        service: undefined,
        scannedImage: false,
      },
    );
  });
});

describe('scan step handler', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
  });

  it('throws ScanGateFailed with the summary and sets shipgate/scan running then failed on the commit', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(ecrFixture('ecr-basic.json'));
    setConfigForTesting(makeConfig());
    process.env.SHIPGATE_GITLAB_URL = gitlab.url;
    process.env.SHIPGATE_GITLAB_TOKEN = gitlab.token;
    const error = await handler({ release: apiRelease, resolved: { images: [apiImage] } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ScanGateFailed);
    expect((error as Error).name).toBe('ScanGateFailed');
    expect((error as Error).message).toMatch(/^Scan FAILED: staging \(CRITICAL 2 > 0\)/);
    expect(gitlab.statuses.map((s) => `${s.name}=${s.status}`)).toEqual([
      'shipgate/scan=running',
      'shipgate/scan=failed',
    ]);
    expect(gitlab.statuses[1]).toMatchObject({
      sha: apiRelease.commit.sha,
      ref: 'main',
      pipeline_id: 900,
      description: expect.stringMatching(/^Scan FAILED/),
    });
  });

  it('returns the summary when the gate passes, and rejects a malformed payload clearly', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolves({ imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { findings: [] } });
    setConfigForTesting(makeConfig());
    delete process.env.SHIPGATE_GITLAB_URL;
    delete process.env.SHIPGATE_GITLAB_TOKEN;
    const summary = await handler({ release: apiRelease, resolved: { images: [apiImage] } });
    expect(summary).toMatchObject({ passed: true, counts: {}, missing: [] });
    await expect(
      handler({ release: apiRelease, resolved: { images: [{ ...apiImage, digest: 'latest' }] } }),
    ).rejects.toThrow(/resolved\.images\[0\]\.digest: expected an image digest/);
  });
});

describe('scan gate with a hanging GitLab', () => {
  it('gives up on the reports at the bound and still gates on ECR', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(ecrFixture('ecr-basic.json'));
    gitlab.fail({ path: /\/jobs$/, hang: true });
    const summary = await runScanGate(
      { release: apiRelease, resolved: { images: [apiImage] } },
      { config: makeConfig(), ecr, gitlab: api(), reportsBoundMs: 300, ...clock },
    );
    expect(summary.counts).toEqual({ CRITICAL: 1, LOW: 1 });
    expect(summary.notes).toContain(
      'GitLab security reports not read (Error: GitLab did not deliver them within 0.3 s)',
    );
  });
});

describe('ECR wait within the Lambda time', () => {
  it('keeps scan.waitFor when there is time, and shortens it to leave room for reporting', () => {
    expect(ecrWaitSeconds(300, undefined)).toBe(300);
    expect(ecrWaitSeconds(300, 360_000)).toBe(300);
    expect(ecrWaitSeconds(900, 900_000)).toBe(860);
    expect(ecrWaitSeconds(300, 20_000)).toBe(5);
  });
});
