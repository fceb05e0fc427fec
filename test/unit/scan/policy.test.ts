import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DescribeImageScanFindingsCommandOutput } from '@aws-sdk/client-ecr';
import {
  parseEcrBasicFindings,
  parseEcrEnhancedFindings,
  parseGitlabReport,
  parseTrivyReport,
} from '../../../lambdas/domain/scan/parsers';
import { evaluatePolicy, mergeFindings, MAX_SUMMARY_TEXT } from '../../../lambdas/domain/scan/policy';
import type { Finding } from '../../../lambdas/domain/scan/types';
import { makeConfig } from '../../fixtures/scanners/release';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '../../fixtures/scanners', name), 'utf8'));

const NOW = new Date('2026-11-22T01:00:00Z');

function finding(id: string, severity: Finding['severity'], extra: Partial<Finding> = {}): Finding {
  return {
    id,
    aliases: [],
    severity,
    package: 'libfoo',
    service: 'inventory-app',
    sources: ['ecr'],
    ...extra,
  };
}

function evaluate(
  findings: Finding[],
  config = makeConfig(),
  extra: Partial<Parameters<typeof evaluatePolicy>[0]> = {},
) {
  return evaluatePolicy({
    config,
    environments: ['staging', 'production'],
    services: ['inventory-app', 'billing-app'],
    findings,
    missing: [],
    imageCount: 2,
    now: NOW,
    ...extra,
  });
}

describe('scan policy thresholds per environment', () => {
  it('fails the release on the strictest environment and reports every environment', () => {
    const summary = evaluate([
      finding('CVE-2026-0001', 'HIGH'),
      finding('CVE-2026-0002', 'HIGH', { package: 'libbar' }),
    ]);
    expect(summary.passed).toBe(false);
    expect(summary.gatedOn).toBe('production');
    expect(summary.environments).toEqual({
      staging: { passed: true, exceeded: [] },
      production: { passed: false, exceeded: ['HIGH 2 > 0'] },
    });
    expect(summary.counts).toEqual({ HIGH: 2 });
    expect(summary.text.split('\n')[0]).toBe('Scan FAILED: production (HIGH 2 > 0).');
  });

  it('fails both environments on a CRITICAL finding and lists it with its link', () => {
    const summary = evaluate([
      finding('CVE-2024-5535', 'CRITICAL', {
        package: 'libssl3',
        version: '3.0.14',
        url: 'https://nvd.example/CVE-2024-5535',
      }),
    ]);
    expect(summary.passed).toBe(false);
    expect(summary.environments.staging.exceeded).toEqual(['CRITICAL 1 > 0']);
    expect(summary.top[0]).toMatchObject({
      id: 'CVE-2024-5535',
      severity: 'CRITICAL',
      package: 'libssl3 3.0.14',
    });
    expect(summary.text).toContain(
      '- CVE-2024-5535 CRITICAL libssl3 3.0.14 (inventory-app) https://nvd.example/CVE-2024-5535',
    );
  });

  it('passes when findings are within every limit, MEDIUM and LOW being unlimited by default', () => {
    const summary = evaluate([finding('CVE-2026-0003', 'MEDIUM'), finding('CVE-2026-0004', 'LOW')]);
    expect(summary.passed).toBe(true);
    expect(summary.gatedOn).toBe('production');
    expect(summary.text).toMatch(
      /^Scan passed \(gated on production\)\.\nFindings across 2 images: MEDIUM 1, LOW 1/,
    );
  });

  it('keeps at most five top findings, most severe first, and a short text', () => {
    const many = Array.from({ length: 40 }, (_, i) =>
      finding(`CVE-2026-${String(1000 + i)}`, i % 3 === 0 ? 'CRITICAL' : 'LOW', { package: `pkg-${i}` }),
    );
    const summary = evaluate(many);
    expect(summary.top).toHaveLength(5);
    expect(summary.top.every((f) => f.severity === 'CRITICAL')).toBe(true);
    expect(summary.text.length).toBeLessThanOrEqual(MAX_SUMMARY_TEXT);
    expect(JSON.stringify(summary).length).toBeLessThan(4000);
  });
});

describe('scan allowlist', () => {
  const allowlisted = (entries: unknown[]) =>
    makeConfig({ scan: { whenMissing: 'fail', waitFor: '60s', allowlist: entries } });

  it('suppresses findings of an unexpired entry and says why', () => {
    const config = allowlisted([
      {
        id: 'CVE-2024-45337',
        reason: 'ssh server of x/crypto is not used by billing',
        expires: '2027-03-31',
      },
    ]);
    const summary = evaluate([finding('CVE-2024-45337', 'CRITICAL', { service: 'billing-app' })], config);
    expect(summary.passed).toBe(true);
    expect(summary.counts).toEqual({});
    expect(summary.allowlisted).toEqual([
      {
        id: 'CVE-2024-45337',
        count: 1,
        reason: 'ssh server of x/crypto is not used by billing',
        expires: '2027-03-31',
      },
    ]);
    expect(summary.text).toContain(
      'Allowlisted: CVE-2024-45337 ×1 until 2027-03-31: ssh server of x/crypto is not used by billing',
    );
  });

  it('stops counting an expired entry, reports it, and the finding fails the gate', () => {
    const config = allowlisted([
      { id: 'CVE-2024-45337', reason: 'was waiting for the upstream fix', expires: '2026-11-21' },
    ]);
    const summary = evaluate([finding('CVE-2024-45337', 'CRITICAL')], config);
    expect(summary.passed).toBe(false);
    expect(summary.allowlisted).toEqual([]);
    expect(summary.expiredAllowlist).toEqual([
      { id: 'CVE-2024-45337', expires: '2026-11-21', reason: 'was waiting for the upstream fix', matched: 1 },
    ]);
    expect(summary.text).toContain(
      'Expired allowlist entry: CVE-2024-45337 expired 2026-11-21 (1 finding now counted)',
    );
  });

  it('counts an entry through its expiry date (UTC) and warns when it expires soon', () => {
    const config = allowlisted([
      { id: 'CVE-2026-0001', reason: 'fix is rolling out this week', expires: '2026-11-22' },
    ]);
    const summary = evaluate([finding('CVE-2026-0001', 'HIGH')], config);
    expect(summary.passed).toBe(true);
    expect(summary.notes).toContain('allowlist entry CVE-2026-0001 expires on 2026-11-22 (in 0 days)');
  });

  it('limits an entry to its services', () => {
    const config = allowlisted([
      {
        id: 'CVE-2026-0005',
        reason: 'billing does not parse untrusted XML',
        expires: '2027-01-31',
        services: ['billing-app'],
      },
    ]);
    const summary = evaluate(
      [
        finding('CVE-2026-0005', 'HIGH', { service: 'billing-app' }),
        finding('CVE-2026-0005', 'HIGH', { service: 'inventory-app' }),
      ],
      config,
    );
    expect(summary.allowlisted).toEqual([
      expect.objectContaining({ id: 'CVE-2026-0005', count: 1, services: ['billing-app'] }),
    ]);
    expect(summary.counts).toEqual({ HIGH: 1 });
    expect(summary.top).toEqual([expect.objectContaining({ id: 'CVE-2026-0005', service: 'inventory-app' })]);
    expect(summary.environments.production.passed).toBe(false);
  });

  it('matches a scanner rule id given as an alias (Bandit B608 from a Semgrep-style report)', () => {
    const config = allowlisted([
      { id: 'B608', reason: 'query uses a fixed table name only', expires: '2027-01-31' },
    ]);
    const summary = evaluate(
      [
        finding('bandit.B608', 'HIGH', {
          aliases: ['B608'],
          package: 'inventory/repository.py:42',
          service: undefined,
        }),
      ],
      config,
    );
    expect(summary.passed).toBe(true);
    expect(summary.allowlisted[0]).toMatchObject({ id: 'B608', count: 1 });
  });
});

describe('missing scans', () => {
  const missing = [
    {
      service: 'billing-app',
      digest: `sha256:${'c'.repeat(64)}`,
      reason: 'ECR scan still IN_PROGRESS after 60 s',
    },
  ];

  it('fails closed by default', () => {
    const summary = evaluate([], makeConfig(), { missing });
    expect(summary.passed).toBe(false);
    expect(summary.environments.staging.exceeded).toEqual(['1 image scan missing']);
    expect(summary.missing).toEqual(missing);
    expect(summary.text).toContain(
      'Missing scans (fail-closed): billing-app sha256:cccccccccccc (ECR scan still IN_PROGRESS after 60 s)',
    );
  });

  it('passes with the gap reported when whenMissing is pass', () => {
    const config = makeConfig({ scan: { whenMissing: 'pass', waitFor: '60s', allowlist: [] } });
    const summary = evaluate([], config, { missing });
    expect(summary.passed).toBe(true);
    expect(summary.missing).toHaveLength(1);
    expect(summary.text).toContain('Missing scans (fail-open)');
  });
});

describe('merging ECR, Trivy and GitLab reports', () => {
  const ecrBasic = fixture('ecr-basic.json') as DescribeImageScanFindingsCommandOutput;
  const ecrEnhanced = fixture('ecr-enhanced.json') as DescribeImageScanFindingsCommandOutput;
  const forService = (findings: Finding[], service: string) => findings.map((f) => ({ ...f, service }));

  it('dedupes the same CVE in the same package and service across scanners, keeping the worst severity', () => {
    const ecr = parseEcrBasicFindings(ecrBasic.imageScanFindings!.findings!, 'api-gateway');
    const trivy = forService(parseTrivyReport(fixture('trivy-image.json')).findings, 'api-gateway');
    const sast = forService(parseGitlabReport(fixture('gl-sast-report.json')).findings, 'api-gateway');
    const merged = mergeFindings([...ecr, ...trivy, ...sast, { ...ecr[0], severity: 'HIGH' as const }]);
    const zlib = merged.filter((f) => f.id === 'CVE-2023-45853');
    expect(zlib).toHaveLength(1);
    expect(zlib[0]).toMatchObject({ package: 'zlib1g', severity: 'CRITICAL', sources: ['ecr', 'trivy'] });
    expect(merged.find((f) => f.id === 'CVE-2011-3374')?.sources).toEqual(['ecr', 'trivy']);
    // 2 ECR + 4 Trivy + 4 SAST, less the zlib1g and apt findings ECR and Trivy share.
    expect(merged).toHaveLength(8);
    const summary = evaluatePolicy({
      config: makeConfig(),
      environments: ['staging', 'production'],
      services: ['api-gateway'],
      findings: merged,
      missing: [],
      imageCount: 1,
      now: NOW,
    });
    expect(summary.counts).toEqual({ CRITICAL: 2, HIGH: 1, MEDIUM: 3, LOW: 1, INFORMATIONAL: 1 });
    expect(summary.top.map((f) => f.id)).toEqual([
      'CVE-2023-45853',
      'bandit.B602',
      'CVE-2024-21538',
      'bandit.B105',
      'bandit.B608',
    ]);
    expect(summary.text).toContain('[ECR, Trivy, GitLab SAST]');
  });

  it('merges an ECR enhanced finding with the same CVE from a GitLab container scan of the same image', () => {
    const enhanced = parseEcrEnhancedFindings(
      ecrEnhanced.imageScanFindings!.enhancedFindings!,
      'billing-app',
    );
    const cs = fixture('gl-container-scanning-report.json') as { vulnerabilities: Record<string, unknown>[] };
    const [zlib] = cs.vulnerabilities;
    const sameCve = {
      ...cs,
      vulnerabilities: [
        {
          ...zlib,
          location: {
            dependency: { package: { name: 'golang.org/x/crypto' }, version: '0.25.0' },
            operating_system: 'Unknown',
            image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/billing-app:4f1c2e9a7b3d',
          },
          identifiers: [
            {
              type: 'cve',
              name: 'CVE-2024-45337',
              value: 'CVE-2024-45337',
              url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-45337',
            },
          ],
        },
      ],
    };
    const gitlab = forService(parseGitlabReport(sameCve).findings, 'billing-app');
    const merged = mergeFindings([...enhanced, ...gitlab]);
    expect(merged).toEqual([
      expect.objectContaining({
        id: 'CVE-2024-45337',
        aliases: ['GHSA-v778-237x-gjrc'],
        severity: 'CRITICAL',
        sources: ['ecr-enhanced', 'gitlab-container-scanning'],
      }),
    ]);
  });

  it('keeps the same CVE in two services apart', () => {
    const a = finding('CVE-2026-0001', 'HIGH', { service: 'inventory-app' });
    const b = finding('CVE-2026-0001', 'HIGH', { service: 'billing-app', sources: ['trivy'] });
    expect(mergeFindings([a, b])).toHaveLength(2);
  });
});

describe('summary text order', () => {
  const config = makeConfig({
    scan: {
      whenMissing: 'fail',
      waitFor: '60s',
      allowlist: [
        { id: 'CVE-2026-0009', reason: 'not reachable from any route we serve', expires: '2027-01-31' },
      ],
    },
  });
  it('leads a passed summary with what the allowlist let through, a failed one with the findings', () => {
    const passed = evaluate([finding('CVE-2026-0009', 'CRITICAL'), finding('CVE-2026-0010', 'LOW')], config);
    expect(passed.text.split('\n').slice(2)).toEqual([
      'Allowlisted: CVE-2026-0009 ×1 until 2027-01-31: not reachable from any route we serve',
      '- CVE-2026-0010 LOW libfoo (inventory-app)',
    ]);
    const failed = evaluate([finding('CVE-2026-0009', 'CRITICAL'), finding('CVE-2026-0011', 'HIGH')], config);
    expect(failed.text.split('\n')[2]).toBe('- CVE-2026-0011 HIGH libfoo (inventory-app)');
  });
});
