import type { EnhancedImageScanFinding, ImageScanFinding } from '@aws-sdk/client-ecr';
import { SEVERITIES, type Severity } from '../../shared/config';
import type { Finding, FindingSource } from './types';

/**
 * Parsers from each scanner's documented output format into `Finding`s:
 * ECR basic scanning (`imageScanFindings.findings`), ECR enhanced scanning (Amazon Inspector,
 * `imageScanFindings.enhancedFindings`), Trivy JSON (`trivy image -f json`, schema v2:
 * `Results[].Vulnerabilities[]`) and the GitLab security report format (`gl-sast-report.json`,
 * `gl-container-scanning-report.json`, … : `vulnerabilities[]` with `identifiers[]`).
 */

const SEVERITY_ALIASES: Record<string, Severity> = {
  CRITICAL: 'CRITICAL',
  HIGH: 'HIGH',
  MEDIUM: 'MEDIUM',
  MODERATE: 'MEDIUM',
  LOW: 'LOW',
  INFO: 'INFORMATIONAL',
  INFORMATIONAL: 'INFORMATIONAL',
  NEGLIGIBLE: 'INFORMATIONAL',
  UNKNOWN: 'UNDEFINED',
  UNTRIAGED: 'UNDEFINED',
  UNDEFINED: 'UNDEFINED',
};

/**
 * Maps any scanner's severity word (`High`, `CRITICAL`, `Info`, `UNTRIAGED`…) to Shipgate's severities;
 * unknown words become `UNDEFINED`.
 * @example normalizeSeverity('Critical') // 'CRITICAL'
 */
export function normalizeSeverity(value: unknown): Severity {
  if (typeof value !== 'string') return 'UNDEFINED';
  return SEVERITY_ALIASES[value.trim().toUpperCase()] ?? 'UNDEFINED';
}

/** Rank of a severity, 0 = most severe. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
/** Id of a finding its scanner gave no id: it still counts (fail closed) under a name that says so. */
const unidentified = (scanner: string, index: number) => `${scanner}-UNIDENTIFIED-${index + 1}`;

/** Findings of ECR basic scanning. */
export function parseEcrBasicFindings(findings: readonly ImageScanFinding[], service: string): Finding[] {
  return findings.map((f, i) => {
    const attr = (key: string) => f.attributes?.find((a) => a.key === key)?.value;
    return {
      id: str(f.name) ?? unidentified('ECR', i),
      aliases: [],
      severity: normalizeSeverity(f.severity),
      package: attr('package_name'),
      version: attr('package_version'),
      service,
      title: f.description ? truncate(f.description, 120) : undefined,
      url: f.uri,
      sources: ['ecr'],
    };
  });
}

/**
 * Findings of ECR enhanced scanning (Amazon Inspector). Findings Inspector reports as suppressed or closed
 * are left out; a finding naming several vulnerable packages becomes one finding per package.
 */
export function parseEcrEnhancedFindings(
  findings: readonly EnhancedImageScanFinding[],
  service: string,
): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    if (f.status && f.status !== 'ACTIVE') continue;
    const details = f.packageVulnerabilityDetails;
    const id =
      str(details?.vulnerabilityId) ?? str(f.title) ?? str(f.findingArn) ?? unidentified('ECR', out.length);
    const url = str(details?.sourceUrl) ?? details?.referenceUrls?.find((u) => str(u));
    const aliases = (details?.relatedVulnerabilities ?? []).filter((v): v is string => !!str(v));
    const packages = details?.vulnerablePackages?.length ? details.vulnerablePackages : [undefined];
    for (const pkg of packages) {
      out.push({
        id,
        aliases,
        severity: normalizeSeverity(f.severity),
        package: pkg?.name,
        version: pkg?.version,
        service,
        title: f.title ? truncate(f.title, 120) : undefined,
        url,
        sources: ['ecr-enhanced'],
      });
    }
  }
  return out;
}

/** What a report says about the image it scanned, to attribute its findings to a service. */
export interface ReportTarget {
  /** Image reference the report names (`registry/repo:tag` or `repo@sha256:…`), when it scanned an image. */
  image?: string;
}

/** Parsed report: findings (service not yet assigned) and the scanned image, if any. */
export interface ParsedReport {
  kind: 'trivy' | 'gitlab';
  /** GitLab report scan type (`sast`, `container_scanning`, `dependency_scanning`…), when known. */
  scanType?: string;
  image?: string;
  findings: Finding[];
  /**
   * The report says its scan failed (GitLab `scan.status: "failure"`): its findings, often none, are not a
   * complete result and must not stand in for a scan.
   */
  failed?: boolean;
}

/** True when a JSON document looks like Trivy's JSON output (schema v2). */
export function isTrivyReport(doc: unknown): boolean {
  return isRecord(doc) && (Array.isArray(doc.Results) || typeof doc.SchemaVersion === 'number');
}

/** True when a JSON document looks like a GitLab security report. */
export function isGitlabReport(doc: unknown): boolean {
  return isRecord(doc) && Array.isArray(doc.vulnerabilities);
}

/** A GitHub advisory link (`https://github.com/advisories/GHSA-…`, `…/security/advisories/GHSA-…`). */
const GHSA_URL =
  /^https:\/\/github\.com\/(?:[^/]+\/[^/]+\/security\/)?advisories\/(GHSA(?:-[0-9a-z]{4}){3})\/?$/i;

/**
 * Parses Trivy JSON (`Results[].Vulnerabilities[]`). `ArtifactName` names the image when
 * `ArtifactType` is `container_image`.
 */
export function parseTrivyReport(doc: unknown): ParsedReport {
  if (!isRecord(doc)) return { kind: 'trivy', findings: [] };
  const image =
    doc.ArtifactType === 'container_image' || (doc.ArtifactType === undefined && str(doc.ArtifactName))
      ? str(doc.ArtifactName)
      : undefined;
  const findings: Finding[] = [];
  for (const result of Array.isArray(doc.Results) ? doc.Results : []) {
    if (!isRecord(result)) continue;
    for (const v of Array.isArray(result.Vulnerabilities) ? result.Vulnerabilities : []) {
      if (!isRecord(v)) continue;
      const id = str(v.VulnerabilityID) ?? unidentified('TRIVY', findings.length);
      const refs = Array.isArray(v.References) ? v.References.filter((r): r is string => !!str(r)) : [];
      const vendorIds = Array.isArray(v.VendorIDs) ? v.VendorIDs.filter((r): r is string => !!str(r)) : [];
      // Trivy names a language package's GitHub advisory only in its references; keep the GHSA id as an
      // alias so allowlist entries written against it match.
      const advisories = refs.flatMap((r) => GHSA_URL.exec(r)?.[1] ?? []);
      const aliases = [...new Set([...vendorIds, ...advisories])].filter((a) => a !== id);
      findings.push({
        id,
        aliases,
        severity: normalizeSeverity(v.Severity),
        package: str(v.PkgName),
        version: str(v.InstalledVersion),
        title: str(v.Title) ? truncate(v.Title as string, 120) : undefined,
        url: str(v.PrimaryURL) ?? refs[0],
        sources: ['trivy'],
      });
    }
    // Misconfigurations and secrets Trivy may add are not vulnerabilities of the image's packages, but a
    // HIGH secret in an image matters: count them under their own ids.
    for (const m of Array.isArray(result.Secrets) ? result.Secrets : []) {
      if (!isRecord(m)) continue;
      findings.push({
        id: str(m.RuleID) ?? unidentified('TRIVY', findings.length),
        aliases: [],
        severity: normalizeSeverity(m.Severity),
        package: str(result.Target),
        title: str(m.Title),
        sources: ['trivy'],
      });
    }
  }
  return { kind: 'trivy', image, findings };
}

/** Identifier types that name one specific vulnerability or rule (CWE/OWASP classes are too broad to allowlist). */
const BROAD_IDENTIFIER = /^(cwe|owasp)$/i;

/**
 * Parses a GitLab security report (`vulnerabilities[]`, schema 14/15): SAST (Bandit, Semgrep, …),
 * container scanning, dependency scanning. The id is the CVE when there is one, else the scanner's own rule
 * id (e.g. Bandit `B608`); the other specific identifiers become aliases.
 */
export function parseGitlabReport(doc: unknown): ParsedReport {
  if (!isRecord(doc)) return { kind: 'gitlab', findings: [] };
  const scan = isRecord(doc.scan) ? doc.scan : {};
  const scanType = str(scan.type);
  const source: FindingSource =
    scanType === 'sast'
      ? 'gitlab-sast'
      : scanType === 'container_scanning'
        ? 'gitlab-container-scanning'
        : 'gitlab-report';
  let image: string | undefined;
  const findings: Finding[] = [];
  for (const v of Array.isArray(doc.vulnerabilities) ? doc.vulnerabilities : []) {
    if (!isRecord(v)) continue;
    const identifiers = (Array.isArray(v.identifiers) ? v.identifiers : []).filter(isRecord);
    const specific = identifiers.filter((i) => !BROAD_IDENTIFIER.test(String(i.type ?? '')));
    const cve = specific.find((i) => /^cve$/i.test(String(i.type ?? '')) && str(i.value));
    const ids = [
      ...(cve ? [String(cve.value)] : []),
      ...specific.filter((i) => i !== cve && str(i.value)).map((i) => String(i.value)),
    ];
    const legacyCve = str(v.cve);
    const id =
      ids[0] ??
      (legacyCve && !legacyCve.includes(':') ? legacyCve : undefined) ??
      str(v.id) ??
      str(v.name) ??
      unidentified('GITLAB', findings.length);
    const location = isRecord(v.location) ? v.location : {};
    const dependency = isRecord(location.dependency) ? location.dependency : undefined;
    const pkg = dependency && isRecord(dependency.package) ? str(dependency.package.name) : undefined;
    const file = str(location.file);
    const line = typeof location.start_line === 'number' ? location.start_line : undefined;
    image ??= str(location.image);
    const links = Array.isArray(v.links) ? v.links.filter(isRecord) : [];
    const url =
      (cve && str(cve.url)) ??
      specific.map((i) => str(i.url)).find(Boolean) ??
      links.map((l) => str(l.url)).find(Boolean);
    findings.push({
      id,
      aliases: [...new Set(ids.filter((x) => x !== id))],
      severity: normalizeSeverity(v.severity),
      package: pkg ?? (file ? (line !== undefined ? `${file}:${line}` : file) : undefined),
      version: dependency ? str(dependency.version) : undefined,
      title: str(v.name) ?? (str(v.message) ? truncate(v.message as string, 120) : undefined),
      url,
      sources: [source],
    });
  }
  return {
    kind: 'gitlab',
    scanType,
    image,
    findings,
    ...(scan.status === 'failure' ? { failed: true } : {}),
  };
}

/**
 * Parses any supported report document, or returns `undefined` for a document in an unknown format.
 */
export function parseReport(doc: unknown): ParsedReport | undefined {
  if (isGitlabReport(doc)) return parseGitlabReport(doc);
  if (isTrivyReport(doc)) return parseTrivyReport(doc);
  return undefined;
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
