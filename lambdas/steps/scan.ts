import * as z from '../shared/zod';
import { formatIssues, getConfig } from '../shared/config';
import { BadRequestError } from '../shared/errors';
import { releaseSchema } from '../shared/release';
import { reportStatus } from '../domain/gitlab/feedback';
import { runScanGate, type ScanPayload } from '../domain/scan/gate';
import { ScanGateFailed, type ScanSummary } from '../domain/scan/types';
import { countReleaseErrors } from '../shared/monitoring/emit';

const payloadSchema = z.object({
  release: releaseSchema,
  resolved: z.object({
    images: z
      .array(
        z.object({
          service: z.string().check(z.minLength(1)),
          repository: z.string().check(z.minLength(1)),
          digest: z
            .string()
            .check(z.regex(/^sha256:[0-9a-f]{64}$/, 'expected an image digest "sha256:<64 hex>"')),
          imageUri: z.string().check(z.minLength(1)),
        }),
      )
      .check(z.minLength(1, 'expected at least one resolved image')),
  }),
  executionArn: z.optional(z.string()),
});

/** Time kept back from the Lambda's remaining time for GitLab statuses and the summary (s). */
const RESERVE_SECONDS = 40;

/**
 * How long to wait for ECR: `scan.waitFor`, lowered when the function has less time left, so the gate
 * reports missing scans instead of the Lambda timing out.
 */
export function ecrWaitSeconds(configured: number, remainingMs: number | undefined): number {
  if (remainingMs === undefined) return configured;
  return Math.max(5, Math.min(configured, Math.floor(remainingMs / 1000) - RESERVE_SECONDS));
}

/**
 * "Scan" state: runs the scan gate over `{ release, resolved }` and returns the `ScanSummary` (`$.scan`).
 * Throws `ScanGateFailed` (message = summary text) when the policy fails, so the release ends before any
 * approval is asked. Reports `shipgate/scan` running → success / failed to GitLab (best effort).
 */
export const handler = countReleaseErrors(
  'scan',
  async (event: unknown, context?: { getRemainingTimeInMillis?: () => number }): Promise<ScanSummary> => {
    const parsed = payloadSchema.safeParse(event);
    if (!parsed.success) {
      throw new BadRequestError(`Scan payload is invalid:\n${formatIssues(parsed.error.issues)}`);
    }
    const payload = parsed.data as ScanPayload;
    const { release } = payload;
    const link = { executionArn: payload.executionArn };
    // In parallel with the scan (never delays it); awaited before the final state so GitLab sees them in order.
    const running = reportStatus(release, 'scan', 'running', {
      ...link,
      description: `Scanning ${payload.resolved.images.length} image(s)`,
    });
    let summary: ScanSummary;
    try {
      const waitForSeconds = ecrWaitSeconds(getConfig().scan.waitFor, context?.getRemainingTimeInMillis?.());
      summary = await runScanGate(payload, { waitForSeconds });
    } catch (err) {
      await running;
      await reportStatus(release, 'scan', 'failed', { ...link, description: 'Scan could not run' });
      throw err;
    }
    await running;
    const headline = summary.text.split('\n')[0];
    await reportStatus(release, 'scan', summary.passed ? 'success' : 'failed', {
      ...link,
      description: headline,
    });
    if (!summary.passed) throw new ScanGateFailed(summary.text, summary);
    return summary;
  },
);
