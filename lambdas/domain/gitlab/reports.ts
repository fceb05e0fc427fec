import type { GitlabJob as JobSchema } from './rest';
import { describeGitlabError, gitlabErrorStatus, type GitlabApi } from './client';

/**
 * Reads the pipeline's own security reports from GitLab job artifacts: Trivy JSON and GitLab security reports
 * (SAST — Bandit, Semgrep… —, container scanning, dependency scanning), found through what each job declares.
 */

/** Report file names Shipgate looks for in jobs that keep artifacts. */
export const KNOWN_REPORT_FILES = [
  'gl-sast-report.json',
  'gl-container-scanning-report.json',
  'gl-dependency-scanning-report.json',
  'trivy-report.json',
] as const;

/** GitLab `artifacts:reports` types that hold security reports. */
const SECURITY_REPORT_TYPES = new Set([
  'sast',
  'container_scanning',
  'dependency_scanning',
  'secret_detection',
  'cluster_image_scanning',
]);

/** Most report files read per pipeline, to keep the step bounded. */
export const MAX_REPORT_FILES = 20;
/** Largest report file accepted (bytes). */
export const MAX_REPORT_BYTES = 20 * 1024 * 1024;

/** One downloaded, JSON-parsed report file. */
export interface PipelineReport {
  jobId: number;
  jobName: string;
  path: string;
  doc: unknown;
}

/** Reports found and remarks about ones that could not be read. */
export interface PipelineReports {
  reports: PipelineReport[];
  notes: string[];
}

/** Job names that suggest a scanner even when it declares no `artifacts:reports`. */
const SCAN_JOB = /scan|sast|trivy|bandit|semgrep|secur|vuln/i;

/** Report paths worth downloading from one job. */
export function reportPathsOf(job: Pick<JobSchema, 'name' | 'artifacts' | 'artifacts_file'>): string[] {
  const declared = (job.artifacts ?? [])
    .filter((a) => SECURITY_REPORT_TYPES.has(a.file_type) && a.filename)
    .map((a) => a.filename);
  const hasArchive =
    Boolean(job.artifacts_file?.filename) || (job.artifacts ?? []).some((a) => a.file_type === 'archive');
  const guessed =
    hasArchive && (declared.length > 0 || SCAN_JOB.test(job.name)) ? [...KNOWN_REPORT_FILES] : [];
  // Declared report names first; the known names are tried only in jobs that look like scanners.
  return [...new Set([...declared, ...guessed])];
}

async function blobToJson(body: unknown): Promise<unknown> {
  if (body instanceof Blob) {
    if (body.size > MAX_REPORT_BYTES)
      throw new Error(`report is ${body.size} bytes, over ${MAX_REPORT_BYTES}`);
    return JSON.parse(await body.text());
  }
  if (typeof body === 'string') return JSON.parse(body);
  return body;
}

/**
 * Lists the pipeline's jobs (`Jobs.all(projectId, { pipelineId })`) and downloads each report file a job
 * declares or a scanner job keeps (`JobArtifacts.downloadArchive(projectId, { jobId, artifactPath })`).
 * Files that are absent (404) are skipped quietly; other failures become notes. Throws only when the job
 * list itself cannot be read.
 */
export async function fetchPipelineReports(
  api: GitlabApi,
  projectId: number | string,
  pipelineId: number,
): Promise<PipelineReports> {
  const jobs = await api.Jobs.all(projectId, { pipelineId });
  const notes: string[] = [];
  const wanted: { job: JobSchema; path: string }[] = [];
  for (const job of jobs) {
    for (const path of reportPathsOf(job)) wanted.push({ job, path });
  }
  if (wanted.length > MAX_REPORT_FILES) {
    notes.push(`only the first ${MAX_REPORT_FILES} of ${wanted.length} candidate report files were read`);
  }
  const reports: PipelineReport[] = [];
  await Promise.all(
    wanted.slice(0, MAX_REPORT_FILES).map(async ({ job, path }) => {
      try {
        const body = await api.JobArtifacts.downloadArchive(projectId, { jobId: job.id, artifactPath: path });
        reports.push({ jobId: job.id, jobName: job.name, path, doc: await blobToJson(body) });
      } catch (err) {
        if (gitlabErrorStatus(err) === 404) {
          const declared = (job.artifacts ?? []).some(
            (a) => a.filename === path && a.file_type !== 'archive',
          );
          if (declared) {
            notes.push(
              `job ${job.name} declares ${path} as a report but it is not in its artifacts archive; add it to artifacts:paths too`,
            );
          }
          return;
        }
        notes.push(`could not read ${path} of job ${job.name}: ${describeGitlabError(err)}`);
      }
    }),
  );
  reports.sort((a, b) => a.jobId - b.jobId || a.path.localeCompare(b.path));
  return { reports, notes };
}
