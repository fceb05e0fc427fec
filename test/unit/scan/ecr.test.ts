import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeImageScanFindingsCommand,
  ECRClient,
  ImageNotFoundException,
  ScanNotFoundException,
  type DescribeImageScanFindingsCommandOutput,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { waitForEcrScan } from '../../../lambdas/domain/scan/ecr';
import { makeImage } from '../../fixtures/scanners/release';

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(join(__dirname, '../../fixtures/scanners', name), 'utf8'),
  ) as DescribeImageScanFindingsCommandOutput;

const ecrMock = mockClient(ECRClient);
const ecr = new ECRClient({ region: 'eu-west-1' });

/** A fake clock: sleeping advances it, so bounded waits run instantly. */
function fakeClock(start = Date.parse('2026-11-22T01:00:00Z')) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

const inProgress = { imageScanStatus: { status: 'IN_PROGRESS' } } as DescribeImageScanFindingsCommandOutput;

beforeEach(() => ecrMock.reset());

describe('waiting for the ECR scan', () => {
  it('polls through "no scan yet" and IN_PROGRESS with backoff, then reads the findings by digest', async () => {
    const image = makeImage('api-gateway', 1);
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejectsOnce(
        new ScanNotFoundException({ message: 'Image scan does not exist for the image', $metadata: {} }),
      )
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolves(fixture('ecr-basic.json'));
    const clock = fakeClock();
    const result = await waitForEcrScan(image, 60, { ecr, ...clock });
    expect(result.status).toBe('complete');
    expect(
      result.status === 'complete' && result.findings.map((f) => `${f.id}:${f.severity}:${f.service}`),
    ).toEqual(['CVE-2023-45853:CRITICAL:api-gateway', 'CVE-2011-3374:LOW:api-gateway']);
    expect(clock.sleeps).toEqual([2000, 4000, 8000]);
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImageScanFindingsCommand, {
      repositoryName: 'api-gateway',
      registryId: '123456789012',
      imageId: { imageDigest: image.digest },
    });
  });

  it('gives up at the bound and reports the scan as missing with the last state', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(inProgress);
    const clock = fakeClock();
    const start = clock.now();
    const result = await waitForEcrScan(makeImage('billing-app', 3), 60, { ecr, ...clock });
    expect(result).toEqual({ status: 'missing', reason: 'ECR scan still IN_PROGRESS after 60 s' });
    expect(clock.now() - start).toBe(60_000);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(15_000);
  });

  it('explains a repository without scanning', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ScanNotFoundException({ message: 'Image scan does not exist', $metadata: {} }));
    const result = await waitForEcrScan(makeImage('billing-app', 3), 10, { ecr, ...fakeClock() });
    expect(result.status).toBe('missing');
    expect(result.status === 'missing' && result.reason).toMatch(
      /no scan found \(is scan on push or enhanced scanning enabled/,
    );
  });

  it('does not wait for an image ECR does not have or a failed scan', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejectsOnce(
        new ImageNotFoundException({ message: 'The image requested does not exist', $metadata: {} }),
      )
      .resolves({
        imageScanStatus: {
          status: 'UNSUPPORTED_IMAGE',
          description: 'The operating system is not supported',
        },
      });
    const clock = fakeClock();
    expect(await waitForEcrScan(makeImage('a', 1), 60, { ecr, ...clock })).toEqual({
      status: 'missing',
      reason: 'ECR ImageNotFoundException: The image requested does not exist',
    });
    expect(await waitForEcrScan(makeImage('a', 1), 60, { ecr, ...clock })).toEqual({
      status: 'missing',
      reason: 'ECR scan UNSUPPORTED_IMAGE: The operating system is not supported',
    });
    expect(clock.sleeps).toEqual([]);
  });

  it('reads enhanced (Inspector) findings of an ACTIVE scan and follows pagination', async () => {
    const enhanced = fixture('ecr-enhanced.json');
    // The ACTIVE CRITICAL finding comes on the second page, after the SUPPRESSED one.
    const [first, second] = enhanced.imageScanFindings!.enhancedFindings!;
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolvesOnce({
        ...enhanced,
        imageScanFindings: { ...enhanced.imageScanFindings, enhancedFindings: [second] },
        nextToken: 'page-2',
      })
      .resolvesOnce({ ...enhanced, imageScanFindings: { enhancedFindings: [first] } });
    const result = await waitForEcrScan(makeImage('billing-app', 3), 60, { ecr, ...fakeClock() });
    expect(result).toMatchObject({ status: 'complete', enhanced: true });
    expect(result.status === 'complete' && result.findings.map((f) => `${f.id}:${f.severity}`)).toEqual([
      'CVE-2024-45337:CRITICAL',
    ]);
    expect(ecrMock).toHaveReceivedNthCommandWith(2, DescribeImageScanFindingsCommand, {
      nextToken: 'page-2',
    });
  });

  it('counts an UNTRIAGED Inspector finding as UNDEFINED, and leaves out CLOSED ones', async () => {
    const enhanced = fixture('ecr-enhanced.json');
    const [active] = enhanced.imageScanFindings!.enhancedFindings!;
    const fresh = {
      ...active,
      findingArn: 'arn:aws:inspector2:eu-west-1:123456789012:finding/0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f',
      packageVulnerabilityDetails: {
        ...active.packageVulnerabilityDetails,
        vulnerabilityId: 'CVE-2025-22869',
        vendorSeverity: 'UNTRIAGED',
        relatedVulnerabilities: ['GHSA-hcg3-q754-cr77'],
        sourceUrl: 'https://nvd.nist.gov/vuln/detail/CVE-2025-22869',
        cvss: [],
      },
      score: undefined,
      scoreDetails: undefined,
      severity: 'UNTRIAGED',
      title: 'CVE-2025-22869 - golang.org/x/crypto',
    };
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({
      ...enhanced,
      imageScanFindings: {
        findingSeverityCounts: { CRITICAL: 1, UNDEFINED: 1 },
        enhancedFindings: [active, fresh, { ...fresh, status: 'CLOSED', findingArn: `${fresh.findingArn}0` }],
      },
    });
    const result = await waitForEcrScan(makeImage('billing-app', 3), 60, { ecr, ...fakeClock() });
    expect(result.status === 'complete' && result.findings.map((f) => `${f.id}:${f.severity}`)).toEqual([
      'CVE-2024-45337:CRITICAL',
      'CVE-2025-22869:UNDEFINED',
    ]);
  });

  it('counts findings ECR reports only in its severity counts', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({
      imageScanStatus: { status: 'COMPLETE' },
      imageScanFindings: { findingSeverityCounts: { CRITICAL: 1 }, findings: [] },
    });
    const result = await waitForEcrScan(makeImage('a', 1), 60, { ecr, ...fakeClock() });
    expect(result.status === 'complete' && result.findings).toEqual([
      expect.objectContaining({ id: 'ECR-CRITICAL-UNLISTED-1', severity: 'CRITICAL', service: 'a' }),
    ]);
  });
});
