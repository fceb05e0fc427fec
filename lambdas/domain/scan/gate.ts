import type { ECRClient } from '@aws-sdk/client-ecr';
import { getConfig, type ShipgateConfig } from '../../shared/config';
import type { Release, ResolvedImage, ResolvedRelease } from '../../shared/release';
import { describeGitlabError, gitlabClient, gitlabSettings, type GitlabApi } from '../gitlab/client';
import { fetchPipelineReports, type PipelineReport } from '../gitlab/reports';
import { defaultLogSink, type LogSink } from '../gitlab/retry';
import { waitForEcrScan } from './ecr';
import { parseReport } from './parsers';
import { evaluatePolicy, mergeFindings } from './policy';
import type { Finding, MissingScan, ScanSummary } from './types';

/** Payload of the "Scan" state. */
export interface ScanPayload {
  release: Release;
  resolved: ResolvedRelease;
  /** Optional: lets GitLab statuses link to the execution. */
  executionArn?: string;
}

/** Injectable dependencies of the scan gate. */
export interface ScanGateDeps {
  config?: ShipgateConfig;
  ecr?: Pick<ECRClient, 'send'>;
  /** GitLab client for reading reports; `null` = do not read GitLab. Default: from config and secrets. */
  gitlab?: GitlabApi | null;
  sleep?: (ms: number) => Promise<void>;
  /** Clock in epoch ms (ECR waiting and allowlist expiry). */
  now?: () => number;
  logger?: LogSink;
  /** How long to wait for ECR scans (default `scan.waitFor`; the handler lowers it to fit the Lambda's time). */
  waitForSeconds?: number;
  /** Overall bound of reading GitLab reports (default `REPORTS_BOUND_MS`). */
  reportsBoundMs?: number;
}

/** Per-request timeout when reading reports from GitLab (ms). */
export const REPORT_REQUEST_TIMEOUT_MS = 10_000;
/** Longest time spent reading reports from GitLab, all requests included (ms); ECR waits in parallel. */
export const REPORTS_BOUND_MS = 30_000;

/**
 * The service a GitLab or Trivy report belongs to: the one whose repository (or image digest) the report's
 * image names; else the only service of the release; else the service named in the job; else none
 * (project-wide, e.g. a SAST report of a monorepo).
 */
export function attributeReport(
  report: Pick<PipelineReport, 'jobName'>,
  image: string | undefined,
  images: readonly ResolvedImage[],
  services: readonly string[],
): { service?: string; scannedImage: boolean } {
  if (image) {
    const byImage = images.find((i) => image.includes(i.digest) || imageRepository(image) === i.repository);
    if (byImage) return { service: byImage.service, scannedImage: true };
  }
  if (services.length === 1) return { service: services[0], scannedImage: false };
  const named = [...services].sort((a, b) => b.length - a.length).find((s) => report.jobName.includes(s));
  return { service: named, scannedImage: false };
}

/** Repository part of an image reference: `123.dkr.ecr.eu-west-1.amazonaws.com/team/api:tag` → `team/api`. */
export function imageRepository(ref: string): string {
  const withoutDigest = ref.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  const name = lastColon > lastSlash ? withoutDigest.slice(0, lastColon) : withoutDigest;
  const parts = name.split('/');
  // Drop the registry host (has a dot or a port, or is localhost).
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0])) parts.shift();
  return parts.join('/');
}

/**
 * Runs the scan gate for a release: waits (bounded by `scan.waitFor`) for the ECR scan of every image by
 * digest, reads the pipeline's security reports from GitLab when a GitLab URL and token are configured,
 * merges and dedupes the findings and evaluates the policy of every environment of the release.
 * The caller decides what a failed summary means (the step throws `ScanGateFailed`).
 */
export async function runScanGate(payload: ScanPayload, deps: ScanGateDeps = {}): Promise<ScanSummary> {
  const config = deps.config ?? getConfig();
  const log = deps.logger ?? defaultLogSink;
  const now = deps.now ?? Date.now;
  const { release, resolved } = payload;
  const notes: string[] = [];

  const ecrResults = Promise.all(
    resolved.images.map(async (image) => ({
      image,
      result: await waitForEcrScan(image, deps.waitForSeconds ?? config.scan.waitFor, {
        ecr: deps.ecr,
        sleep: deps.sleep,
        now,
      }),
    })),
  );

  const gitlabReports = (async (): Promise<PipelineReport[]> => {
    try {
      let api = deps.gitlab;
      if (api === undefined) {
        const settings = await gitlabSettings(config);
        api = settings ? gitlabClient(settings, REPORT_REQUEST_TIMEOUT_MS) : null;
      }
      if (!api) return [];
      const bound = deps.reportsBoundMs ?? REPORTS_BOUND_MS;
      let timer: NodeJS.Timeout | undefined;
      const { reports, notes: reportNotes } = await Promise.race([
        fetchPipelineReports(api, release.project.id, release.pipeline.id),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`GitLab did not deliver them within ${bound / 1000} s`)),
            bound,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      notes.push(...reportNotes);
      return reports;
    } catch (err) {
      const message = `GitLab security reports not read (${describeGitlabError(err)})`;
      log.warn(message, { release: release.id });
      notes.push(message);
      return [];
    }
  })();

  const [ecr, reports] = await Promise.all([ecrResults, gitlabReports]);

  const reportFindings: Finding[] = [];
  const coveredByReport = new Map<string, string>();
  for (const report of reports) {
    const parsed = parseReport(report.doc);
    if (!parsed) {
      notes.push(`${report.path} of job ${report.jobName} is not a Trivy or GitLab security report; ignored`);
      continue;
    }
    const { service, scannedImage } = attributeReport(
      report,
      parsed.image,
      resolved.images,
      release.services,
    );
    if (parsed.failed) {
      // Its findings still count, but a failed scan covers nothing: the image still needs ECR's scan.
      notes.push(
        `${report.path} of job ${report.jobName} reports a failed scan; it does not cover any image`,
      );
    } else if (scannedImage && service) {
      coveredByReport.set(service, `${report.path} (job ${report.jobName})`);
    }
    for (const f of parsed.findings) reportFindings.push(service ? { ...f, service } : f);
  }

  // ECR first: its findings lead when the same finding is merged from several scanners.
  const findings: Finding[] = [];
  const missing: MissingScan[] = [];
  for (const { image, result } of ecr) {
    if (result.status === 'complete') {
      findings.push(...result.findings);
      continue;
    }
    const cover = coveredByReport.get(image.service);
    if (cover) {
      notes.push(`no ECR scan for ${image.service} (${result.reason}); covered by ${cover}`);
    } else {
      missing.push({ service: image.service, digest: image.digest, reason: result.reason });
    }
  }

  findings.push(...reportFindings);
  const summary = evaluatePolicy({
    config,
    environments: release.environments,
    services: release.services,
    findings: mergeFindings(findings),
    missing,
    imageCount: resolved.images.length,
    notes,
    now: new Date(now()),
  });
  log.info?.('scan gate evaluated', {
    release: release.id,
    passed: summary.passed,
    counts: summary.counts,
    missing: summary.missing.length,
  });
  return summary;
}
