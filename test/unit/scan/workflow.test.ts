import { DescribeImageScanFindingsCommand, ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import type { ScanSummary } from '../../../lambdas/domain/scan/types';
import { setConfigForTesting, type ShipgateConfig } from '../../../lambdas/shared/config';
import { handler as scanHandler } from '../../../lambdas/steps/scan';
import {
  definitionFor,
  happyHandlers,
  runLocalWorkflow,
  testConfig,
  testRelease,
} from '../../helpers/local-workflow';

/**
 * The real "Scan" Lambda code inside the real release state machine, run locally (aws-local-stepfunctions),
 * with ECR answering like ECR basic scanning does.
 */

const ecrMock = mockClient(ECRClient);
const input = testRelease();

/** ECR findings per repository: `acme/orders` has a CRITICAL openssl CVE. */
function ecrWithCriticalInOrders() {
  ecrMock.on(DescribeImageScanFindingsCommand).callsFake((req: { repositoryName: string }) => ({
    imageScanStatus: { status: 'COMPLETE' },
    imageScanFindings: {
      findings:
        req.repositoryName === 'acme/orders'
          ? [
              {
                name: 'CVE-2024-5535',
                severity: 'CRITICAL',
                uri: 'https://security-tracker.debian.org/tracker/CVE-2024-5535',
                attributes: [
                  { key: 'package_name', value: 'openssl' },
                  { key: 'package_version', value: '3.0.14-1~deb12u1' },
                ],
              },
            ]
          : [],
    },
  }));
}

function run(config: ShipgateConfig) {
  setConfigForTesting(config);
  const handlers = happyHandlers(config);
  handlers.Scan = (payload) => scanHandler(payload);
  return runLocalWorkflow(definitionFor(config), input, handlers);
}

const env = { ...process.env };
beforeEach(() => {
  ecrMock.reset();
  delete process.env.SHIPGATE_GITLAB_TOKEN;
  delete process.env.SHIPGATE_GITLAB_URL;
});
afterEach(() => {
  process.env = { ...env };
  setConfigForTesting(undefined);
});

describe('Scan in the local release workflow', () => {
  it('stops a release with a CRITICAL finding at "Scan" and asks no approval', async () => {
    ecrWithCriticalInOrders();
    const result = await run(testConfig());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ScanGateFailed');
    expect(result.cause).toContain('Scan FAILED: staging (CRITICAL 1 > 0); production (CRITICAL 1 > 0).');
    expect(result.cause).toContain(
      '- CVE-2024-5535 CRITICAL openssl 3.0.14-1~deb12u1 (orders) https://security-tracker.debian.org/tracker/CVE-2024-5535',
    );
    expect(result.entered).toEqual(['Resolve release', 'Scan', 'Report failure', 'Release failed']);
    expect(result.payloads['Scan'][0]).toMatchObject({
      executionArn: expect.stringContaining(':execution:'),
    });
  });

  it('passes an allowlisted release, and the approval request carries a summary that says why', async () => {
    ecrWithCriticalInOrders();
    const base = testConfig();
    const config: ShipgateConfig = {
      ...base,
      scan: {
        ...base.scan,
        allowlist: [
          {
            id: 'CVE-2024-5535',
            reason: 'orders never negotiates ALPN/NPN, the vulnerable call is unreachable',
            expires: '2099-12-31',
            services: ['orders'],
          },
        ],
      },
    };
    const result = await run(config);
    expect(result.status).toBe('SUCCEEDED');
    const scan = result.output!.scan as ScanSummary;
    expect(scan).toMatchObject({ passed: true, counts: {}, missing: [] });
    expect(scan.allowlisted).toEqual([
      expect.objectContaining({ id: 'CVE-2024-5535', count: 1, services: ['orders'] }),
    ]);
    const approval = result.payloads['Approve staging'][0];
    expect((approval.scan as ScanSummary).text).toContain(
      'Allowlisted: CVE-2024-5535 ×1 (orders) until 2099-12-31: orders never negotiates ALPN/NPN, the vulnerable call is unreachable',
    );
    expect(JSON.stringify(result.output!.scan).length).toBeLessThan(2000);
  });
});
