import type { Severity } from '../../shared/config';
import { ShipgateError } from '../../shared/errors';

/** Where a finding came from. */
export type FindingSource =
  'ecr' | 'ecr-enhanced' | 'trivy' | 'gitlab-sast' | 'gitlab-container-scanning' | 'gitlab-report';

/** One vulnerability or code finding, normalised across scanners. */
export interface Finding {
  /** Primary id: CVE, GHSA or a scanner rule id such as `B608`. */
  id: string;
  /** Other ids the same finding is known by (CVE, GHSA, rule ids); allowlist entries match any of them. */
  aliases: string[];
  severity: Severity;
  /** Affected package (image findings) or file (code findings). */
  package?: string;
  version?: string;
  /** Service the finding belongs to; `undefined` means project-wide (every service of the project). */
  service?: string;
  title?: string;
  /** Where a person reads about it. */
  url?: string;
  sources: FindingSource[];
}

/** A finding as shown in the summary (top findings). */
export interface TopFinding {
  id: string;
  severity: Severity;
  package?: string;
  service?: string;
  url?: string;
  sources: FindingSource[];
}

/** An allowlist entry that suppressed findings in this release. */
export interface AllowlistUse {
  id: string;
  /** Findings it suppressed. */
  count: number;
  services?: string[];
  reason: string;
  expires: string;
}

/** An expired allowlist entry: it no longer suppresses anything. */
export interface ExpiredAllowlistEntry {
  id: string;
  expires: string;
  reason: string;
  /** Findings it would have suppressed (they now count). */
  matched: number;
}

/** An image Shipgate has no scan result for. */
export interface MissingScan {
  service: string;
  digest: string;
  reason: string;
}

/** Verdict of the policy of one environment. */
export interface EnvironmentVerdict {
  passed: boolean;
  /** Limits exceeded, e.g. `CRITICAL 2 > 0`, or `missing scans` under fail-closed. */
  exceeded: string[];
}

/**
 * Result of the "Scan" state (`$.scan`): small by design, it is shown in the approval message and on the
 * confirm page.
 */
export interface ScanSummary {
  passed: boolean;
  /** The strictest environment of the release, the one the gate is judged by. */
  gatedOn: string;
  /** Human summary, a few lines. */
  text: string;
  /** Findings that count (after the allowlist), per severity. */
  counts: Partial<Record<Severity, number>>;
  environments: Record<string, EnvironmentVerdict>;
  /** At most five, most severe first. */
  top: TopFinding[];
  allowlisted: AllowlistUse[];
  expiredAllowlist: ExpiredAllowlistEntry[];
  missing: MissingScan[];
  /** Scanners that contributed results. */
  sources: FindingSource[];
  /** Short remarks (unreadable reports, GitLab unavailable, allowlist entries expiring soon). */
  notes: string[];
}

/** The scan policy failed; the message is the summary text. Step Functions sees the name `ScanGateFailed`. */
export class ScanGateFailed extends ShipgateError {
  static override readonly errorName: string = 'ScanGateFailed';
  constructor(
    message: string,
    readonly summary?: ScanSummary,
  ) {
    super(message);
  }
}
