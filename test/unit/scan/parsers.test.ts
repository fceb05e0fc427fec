import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DescribeImageScanFindingsCommandOutput } from '@aws-sdk/client-ecr';
import {
  normalizeSeverity,
  parseEcrBasicFindings,
  parseEcrEnhancedFindings,
  parseGitlabReport,
  parseReport,
  parseTrivyReport,
} from '../../../lambdas/domain/scan/parsers';
import type { Finding } from '../../../lambdas/domain/scan/types';

/**
 * The parsers against the scanner outputs in `test/fixtures/scanners/` (real formats, see its README):
 * every field Shipgate uses is read, the many it does not use are tolerated, and no finding is dropped.
 */

type Json = Record<string, unknown>;
const raw = (name: string): Json =>
  JSON.parse(readFileSync(join(__dirname, '../../fixtures/scanners', name), 'utf8')) as Json;
const ecrFixture = (name: string) => raw(name) as unknown as DescribeImageScanFindingsCommandOutput;
const brief = (f: Finding) => `${f.id}/${f.severity}/${f.package ?? '-'}`;
const array = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

const API_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api-gateway:4f1c2e9a7b3d';

describe('Trivy JSON (trivy image --format json, schema 2)', () => {
  const doc = raw('trivy-image.json');

  it('reads every vulnerability of every result, with the image it scanned', () => {
    const report = parseReport(doc)!;
    expect(report).toMatchObject({ kind: 'trivy', image: API_IMAGE });
    expect(report.findings.map(brief)).toEqual([
      'CVE-2011-3374/LOW/apt',
      'CVE-2023-50495/MEDIUM/libtinfo6',
      'CVE-2023-45853/CRITICAL/zlib1g',
      'CVE-2024-21538/HIGH/cross-spawn',
    ]);
    expect(report.findings[2]).toEqual({
      id: 'CVE-2023-45853',
      aliases: [],
      severity: 'CRITICAL',
      package: 'zlib1g',
      version: '1:1.2.13.dfsg-1',
      title: 'zlib: integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_6',
      url: 'https://avd.aquasec.com/nvd/cve-2023-45853',
      sources: ['trivy'],
    });
  });

  it('keeps the GitHub advisory a language package finding names only in its references', () => {
    const crossSpawn = parseTrivyReport(doc).findings.find((f) => f.package === 'cross-spawn');
    expect(crossSpawn).toMatchObject({ id: 'CVE-2024-21538', aliases: ['GHSA-3xgq-45jj-v275'] });
  });

  it('reads results whose Vulnerabilities are absent or null (clean targets, older Trivy)', () => {
    const [os] = array(doc.Results);
    const report = parseTrivyReport({
      ...doc,
      Results: [
        { Target: 'app/package-lock.json', Class: 'lang-pkgs', Type: 'npm', Vulnerabilities: null },
        { Target: 'Python', Class: 'lang-pkgs', Type: 'python-pkg' },
        os,
      ],
    });
    expect(report.findings.map((f) => f.id)).toEqual(['CVE-2011-3374', 'CVE-2023-50495', 'CVE-2023-45853']);
    expect(
      parseReport({ SchemaVersion: 2, ArtifactName: API_IMAGE, ArtifactType: 'container_image' }),
    ).toEqual({ kind: 'trivy', image: API_IMAGE, findings: [] });
  });

  it('counts secrets Trivy finds in the image', () => {
    const report = parseTrivyReport({
      ...doc,
      Results: [
        {
          Target: '/app/.env',
          Class: 'secret',
          Secrets: [
            {
              RuleID: 'aws-secret-access-key',
              Category: 'AWS',
              Severity: 'CRITICAL',
              Title: 'AWS Secret Access Key',
              StartLine: 2,
              EndLine: 2,
              Match: 'AWS_SECRET_ACCESS_KEY=****************************************',
            },
          ],
        },
      ],
    });
    expect(report.findings.map(brief)).toEqual(['aws-secret-access-key/CRITICAL//app/.env']);
  });
});

describe('GitLab SAST report (Semgrep analyzer with the Bandit rules, schema 15)', () => {
  const doc = raw('gl-sast-report.json');

  it('takes the Semgrep rule as the id and the Bandit test id as an alias; CWE and OWASP are not ids', () => {
    const report = parseGitlabReport(doc);
    expect(report).toMatchObject({ kind: 'gitlab', scanType: 'sast' });
    expect(report.image).toBeUndefined();
    expect(report.failed).toBeUndefined();
    expect(report.findings.map(brief)).toEqual([
      'bandit.B602/CRITICAL/inventory/jobs.py:17',
      'bandit.B105/MEDIUM/inventory/settings.py:12',
      'bandit.B608/MEDIUM/inventory/repository.py:42',
      'bandit.B311/INFORMATIONAL/inventory/tokens.py:9',
    ]);
    expect(report.findings[2]).toEqual({
      id: 'bandit.B608',
      aliases: ['B608'],
      severity: 'MEDIUM',
      package: 'inventory/repository.py:42',
      title: "Improper neutralization of special elements used in an SQL Command ('SQL Injection')",
      url: 'https://semgrep.dev/r/gitlab.bandit.B608',
      sources: ['gitlab-sast'],
    });
  });

  it('maps every severity the schema allows (Critical, High, Medium, Low, Info, Unknown)', () => {
    const [first] = array(doc.vulnerabilities);
    const words = ['Critical', 'High', 'Medium', 'Low', 'Info', 'Unknown'];
    const report = parseGitlabReport({
      ...doc,
      vulnerabilities: words.map((severity, i) => ({
        ...first,
        severity,
        location: { file: 'a.py', start_line: i + 1 },
      })),
    });
    expect(report.findings.map((f) => f.severity)).toEqual([
      'CRITICAL',
      'HIGH',
      'MEDIUM',
      'LOW',
      'INFORMATIONAL',
      'UNDEFINED',
    ]);
  });

  it('marks a report whose scan failed, so it cannot pass for a clean scan', () => {
    const scan = { ...(doc.scan as Json), status: 'failure' };
    const report = parseGitlabReport({ ...doc, scan, vulnerabilities: [] });
    expect(report).toMatchObject({ scanType: 'sast', failed: true, findings: [] });
  });
});

describe('GitLab container scanning report (gcs analyzer, schema 15)', () => {
  it('reads the image, the packages and the CVE of each finding', () => {
    const report = parseReport(raw('gl-container-scanning-report.json'))!;
    expect(report).toMatchObject({
      kind: 'gitlab',
      scanType: 'container_scanning',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/inventory-app:4f1c2e9a7b3d',
    });
    expect(report.findings.map(brief)).toEqual([
      'CVE-2023-45853/CRITICAL/zlib1g',
      'CVE-2023-50495/MEDIUM/libtinfo6',
    ]);
    expect(report.findings[0]).toMatchObject({
      version: '1:1.2.13.dfsg-1',
      url: 'http://www.openwall.com/lists/oss-security/2023/10/20/9',
      sources: ['gitlab-container-scanning'],
    });
  });
});

describe('ECR DescribeImageScanFindings', () => {
  it('reads basic scanning findings with their package attributes', () => {
    const findings = parseEcrBasicFindings(
      ecrFixture('ecr-basic.json').imageScanFindings!.findings!,
      'api-gateway',
    );
    expect(findings.map(brief)).toEqual(['CVE-2023-45853/CRITICAL/zlib1g', 'CVE-2011-3374/LOW/apt']);
    expect(findings[0]).toMatchObject({
      version: '1:1.2.13.dfsg-1',
      service: 'api-gateway',
      url: 'https://security-tracker.debian.org/tracker/CVE-2023-45853',
      sources: ['ecr'],
    });
  });

  it('reads enhanced (Inspector) findings and leaves out the suppressed one', () => {
    const findings = parseEcrEnhancedFindings(
      ecrFixture('ecr-enhanced.json').imageScanFindings!.enhancedFindings!,
      'billing-app',
    );
    expect(findings).toEqual([
      {
        id: 'CVE-2024-45337',
        aliases: ['GHSA-v778-237x-gjrc'],
        severity: 'CRITICAL',
        package: 'golang.org/x/crypto',
        version: '0.25.0',
        service: 'billing-app',
        title: 'CVE-2024-45337 - golang.org/x/crypto',
        url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-45337',
        sources: ['ecr-enhanced'],
      },
    ]);
  });

  it('maps Inspector and ECR severity words', () => {
    expect(
      ['UNTRIAGED', 'INFORMATIONAL', 'UNDEFINED', 'Negligible', 'moderate', 'bogus'].map(normalizeSeverity),
    ).toEqual(['UNDEFINED', 'INFORMATIONAL', 'UNDEFINED', 'INFORMATIONAL', 'MEDIUM', 'UNDEFINED']);
  });
});

describe('no finding is silently dropped', () => {
  /** Findings each fixture holds, counted from the raw document, not by the parsers. */
  const listed = {
    'trivy-image.json': (d: Json) =>
      array(d.Results).reduce((n, r) => n + array(r.Vulnerabilities).length + array(r.Secrets).length, 0),
    'gl-sast-report.json': (d: Json) => array(d.vulnerabilities).length,
    'gl-container-scanning-report.json': (d: Json) => array(d.vulnerabilities).length,
    'ecr-basic.json': (d: Json) => array((d.imageScanFindings as Json).findings).length,
    // Suppressed and closed Inspector findings are left out on purpose; one finding per vulnerable package.
    'ecr-enhanced.json': (d: Json) =>
      array((d.imageScanFindings as Json).enhancedFindings)
        .filter((f) => f.status === 'ACTIVE')
        .reduce(
          (n, f) => n + Math.max(1, array((f.packageVulnerabilityDetails as Json).vulnerablePackages).length),
          0,
        ),
  };
  const parse = (name: keyof typeof listed, doc: Json): Finding[] => {
    const scan = doc.imageScanFindings as DescribeImageScanFindingsCommandOutput['imageScanFindings'];
    if (name === 'ecr-basic.json') return parseEcrBasicFindings(scan!.findings!, 'svc');
    if (name === 'ecr-enhanced.json') return parseEcrEnhancedFindings(scan!.enhancedFindings!, 'svc');
    return parseReport(doc)!.findings;
  };

  it.each(Object.keys(listed) as (keyof typeof listed)[])('%s: one finding per listed finding', (name) => {
    const doc = raw(name);
    const expected = listed[name](doc);
    expect(expected).toBeGreaterThan(0);
    expect(parse(name, doc)).toHaveLength(expected);
  });

  it('counts a finding its scanner gave no id, under a placeholder id', () => {
    const trivy = raw('trivy-image.json');
    const [os] = array(trivy.Results);
    const [vuln] = array(os.Vulnerabilities);
    const { VulnerabilityID: _trivyId, ...noTrivyId } = vuln;
    expect(
      parseTrivyReport({ ...trivy, Results: [{ ...os, Vulnerabilities: [noTrivyId] }] }).findings.map(brief),
    ).toEqual(['TRIVY-UNIDENTIFIED-1/LOW/apt']);

    const [basic] = ecrFixture('ecr-basic.json').imageScanFindings!.findings!;
    expect(parseEcrBasicFindings([{ ...basic, name: undefined }], 'svc').map(brief)).toEqual([
      'ECR-UNIDENTIFIED-1/CRITICAL/zlib1g',
    ]);

    const sast = raw('gl-sast-report.json');
    const [first] = array(sast.vulnerabilities);
    const { id: _id, name: _name, cve: _cve, ...anonymous } = first;
    const report = parseGitlabReport({ ...sast, vulnerabilities: [{ ...anonymous, identifiers: [] }] });
    expect(report.findings.map(brief)).toEqual(['GITLAB-UNIDENTIFIED-1/CRITICAL/inventory/jobs.py:17']);
  });
});
