import { SEVERITIES, getEnvironment, type Severity, type ShipgateConfig } from '../../shared/config';
import { severityRank } from './parsers';
import type {
  AllowlistUse,
  EnvironmentVerdict,
  ExpiredAllowlistEntry,
  Finding,
  FindingSource,
  MissingScan,
  ScanSummary,
  TopFinding,
} from './types';

/** Longest summary text kept in `$.scan.text` (it is shown in chat and on the confirm page). */
export const MAX_SUMMARY_TEXT = 2000;
/** How many findings the summary lists. */
export const MAX_TOP_FINDINGS = 5;
/** Allowlist entries expiring within this many days are mentioned in the summary notes. */
export const EXPIRY_WARNING_DAYS = 14;

const SOURCE_LABEL: Record<FindingSource, string> = {
  ecr: 'ECR',
  'ecr-enhanced': 'ECR enhanced (Inspector)',
  trivy: 'Trivy',
  'gitlab-sast': 'GitLab SAST',
  'gitlab-container-scanning': 'GitLab container scanning',
  'gitlab-report': 'GitLab security report',
};

const dedupeKey = (f: Finding) =>
  `${f.id.toUpperCase()}|${(f.package ?? '').toLowerCase()}|${f.service ?? '*'}`;

/**
 * Merges findings from every scanner and removes duplicates: one finding per (id, package, service). When
 * scanners disagree on severity the most severe wins; sources, aliases and the first link are kept.
 * @example mergeFindings([...ecrFindings, ...trivyFindings])
 */
export function mergeFindings(findings: readonly Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const f of findings) {
    const key = dedupeKey(f);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...f, aliases: [...f.aliases], sources: [...f.sources] });
      continue;
    }
    if (severityRank(f.severity) < severityRank(seen.severity)) seen.severity = f.severity;
    seen.sources = [...new Set([...seen.sources, ...f.sources])];
    seen.aliases = [...new Set([...seen.aliases, ...f.aliases])].filter((a) => a !== seen.id);
    seen.url ??= f.url;
    seen.version ??= f.version;
    seen.title ??= f.title;
  }
  return [...byKey.values()];
}

type AllowlistEntry = ShipgateConfig['scan']['allowlist'][number];

/** End of the day an entry expires (entries count through their `expires` date, UTC). */
function expiresAt(entry: AllowlistEntry): number {
  return Date.parse(`${entry.expires}T23:59:59.999Z`);
}

function entryMatches(entry: AllowlistEntry, finding: Finding, releaseServices: readonly string[]): boolean {
  const id = entry.id.toUpperCase();
  if (finding.id.toUpperCase() !== id && !finding.aliases.some((a) => a.toUpperCase() === id)) return false;
  if (!entry.services) return true;
  // A project-wide finding (code scan) is only covered when the entry covers every service it ships in.
  return finding.service
    ? entry.services.includes(finding.service)
    : releaseServices.every((s) => entry.services?.includes(s));
}

/** Everything the policy needs. */
export interface PolicyInput {
  config: ShipgateConfig;
  /** Release environments in order. */
  environments: readonly string[];
  /** Release services. */
  services: readonly string[];
  /** Merged findings. */
  findings: readonly Finding[];
  missing: readonly MissingScan[];
  /** Images looked at (for the summary line). */
  imageCount: number;
  notes?: readonly string[];
  now: Date;
}

/**
 * Evaluates the scan policy and builds the summary: allowlist (unexpired entries suppress matching findings,
 * optionally only for some services; expired ones are reported and suppress nothing), per-severity limits of
 * every environment of the release, and `scan.whenMissing` for images without a scan. The release passes when
 * every environment's policy passes; `gatedOn` names the strictest environment (the first failing one, if any).
 */
export function evaluatePolicy(input: PolicyInput): ScanSummary {
  const { config, now } = input;
  const nowMs = now.getTime();
  const allowlist = config.scan.allowlist.filter(
    (e) => !e.services || e.services.some((s) => input.services.includes(s)),
  );
  const active = allowlist.filter((e) => expiresAt(e) >= nowMs);
  const expired = allowlist.filter((e) => expiresAt(e) < nowMs);

  const counted: Finding[] = [];
  const uses = new Map<AllowlistEntry, number>();
  for (const f of input.findings) {
    const entry = active.find((e) => entryMatches(e, f, input.services));
    if (entry) uses.set(entry, (uses.get(entry) ?? 0) + 1);
    else counted.push(f);
  }

  const counts: Partial<Record<Severity, number>> = {};
  for (const f of counted) counts[f.severity] = (counts[f.severity] ?? 0) + 1;

  const environments: Record<string, EnvironmentVerdict> = {};
  const failClosed = config.scan.whenMissing === 'fail';
  for (const name of input.environments) {
    const limits = getEnvironment(config, name).scan.maxFindings;
    const exceeded: string[] = [];
    for (const severity of SEVERITIES) {
      const max = limits[severity];
      const n = counts[severity] ?? 0;
      if (max !== undefined && n > max) exceeded.push(`${severity} ${n} > ${max}`);
    }
    if (failClosed && input.missing.length > 0) {
      exceeded.push(`${input.missing.length} image scan${input.missing.length === 1 ? '' : 's'} missing`);
    }
    environments[name] = { passed: exceeded.length === 0, exceeded };
  }

  const byStrictness = [...input.environments].sort(
    (a, b) =>
      strictness(config, b) - strictness(config, a) ||
      input.environments.indexOf(b) - input.environments.indexOf(a),
  );
  const gatedOn = byStrictness.find((e) => !environments[e].passed) ?? byStrictness[0];
  const passed = Object.values(environments).every((v) => v.passed);

  const top: TopFinding[] = [...counted]
    .sort(
      (a, b) =>
        severityRank(a.severity) - severityRank(b.severity) ||
        b.sources.length - a.sources.length ||
        a.id.localeCompare(b.id),
    )
    .slice(0, MAX_TOP_FINDINGS)
    .map((f) => ({
      id: f.id,
      severity: f.severity,
      ...(f.package ? { package: f.version ? `${f.package} ${f.version}` : f.package } : {}),
      ...(f.service ? { service: f.service } : {}),
      ...(f.url ? { url: f.url } : {}),
      sources: f.sources,
    }));

  const allowlisted: AllowlistUse[] = [...uses].map(([e, count]) => ({
    id: e.id,
    count,
    ...(e.services ? { services: e.services } : {}),
    reason: e.reason,
    expires: e.expires,
  }));
  const expiredAllowlist: ExpiredAllowlistEntry[] = expired.map((e) => ({
    id: e.id,
    expires: e.expires,
    reason: e.reason,
    matched: input.findings.filter((f) => entryMatches(e, f, input.services)).length,
  }));

  const notes = [...(input.notes ?? [])];
  for (const e of active) {
    const days = Math.floor((expiresAt(e) - nowMs) / 86_400_000);
    if (days < EXPIRY_WARNING_DAYS)
      notes.push(`allowlist entry ${e.id} expires on ${e.expires} (in ${days} days)`);
  }

  const sources = [...new Set(input.findings.flatMap((f) => f.sources))];
  const summary: ScanSummary = {
    passed,
    gatedOn,
    text: '',
    counts,
    environments,
    top,
    allowlisted,
    expiredAllowlist,
    missing: [...input.missing],
    sources,
    notes,
  };
  summary.text = summaryText(summary, input.imageCount, failClosed);
  return summary;
}

/** Higher = stricter: environments allowing fewer findings of the most severe levels come first. */
function strictness(config: ShipgateConfig, environment: string): number {
  const limits = getEnvironment(config, environment).scan.maxFindings;
  // Weigh each severity so that a lower CRITICAL limit always outranks any HIGH limit, and so on.
  return SEVERITIES.reduce((score, severity, i) => {
    const max = limits[severity];
    const weight = 1000 ** (SEVERITIES.length - i);
    return score + (max === undefined ? 0 : weight / (1 + max));
  }, 0);
}

function formatCounts(counts: Partial<Record<Severity, number>>): string {
  return SEVERITIES.filter((s) => counts[s])
    .map((s) => `${s} ${counts[s]}`)
    .join(', ');
}

const short = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The human summary: a few short lines, capped at `MAX_SUMMARY_TEXT` characters. */
function summaryText(s: ScanSummary, imageCount: number, failClosed: boolean): string {
  const lines: string[] = [];
  const failing = Object.entries(s.environments).filter(([, v]) => !v.passed);
  if (s.passed) {
    lines.push(`Scan passed (gated on ${s.gatedOn}).`);
  } else {
    lines.push(`Scan FAILED: ${failing.map(([env, v]) => `${env} (${v.exceeded.join(', ')})`).join('; ')}.`);
  }
  const images = `${imageCount} image${imageCount === 1 ? '' : 's'}`;
  const from = s.sources.length ? ` [${s.sources.map((x) => SOURCE_LABEL[x]).join(', ')}]` : '';
  const counted = formatCounts(s.counts);
  lines.push(
    counted
      ? `Findings across ${images}: ${counted}${from}.`
      : `No counted findings across ${images}${from}.`,
  );
  const top = s.top.map(
    (f) =>
      `- ${f.id} ${f.severity}${f.package ? ` ${short(f.package, 60)}` : ''}${f.service ? ` (${f.service})` : ''}${f.url ? ` ${f.url}` : ''}`,
  );
  const allowlisted = s.allowlisted.map(
    (a) =>
      `Allowlisted: ${a.id} ×${a.count}${a.services ? ` (${a.services.join(', ')})` : ''} until ${a.expires}: ${short(a.reason, 100)}`,
  );
  // Readers may only see the first few hundred characters (chat): a failed gate leads with what failed it,
  // a passed one (what approvers read) with what the allowlist let through and why.
  lines.push(...(s.passed ? [...allowlisted, ...top] : [...top, ...allowlisted]));
  for (const e of s.expiredAllowlist) {
    lines.push(
      `Expired allowlist entry: ${e.id} expired ${e.expires}${e.matched ? ` (${e.matched} finding${e.matched === 1 ? '' : 's'} now counted)` : ''}; renew or remove it.`,
    );
  }
  if (s.missing.length) {
    lines.push(
      `Missing scans (${failClosed ? 'fail-closed' : 'fail-open'}): ${s.missing
        .map((m) => `${m.service} ${m.digest.slice(0, 19)} (${short(m.reason, 80)})`)
        .join('; ')}`,
    );
  }
  for (const n of s.notes) lines.push(`Note: ${short(n, 160)}`);
  const text = lines.join('\n');
  return text.length > MAX_SUMMARY_TEXT ? `${text.slice(0, MAX_SUMMARY_TEXT - 1)}…` : text;
}
