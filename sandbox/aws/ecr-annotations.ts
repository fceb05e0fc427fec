import { AwsServiceError } from './protocol';

/**
 * The manifest annotations by which a sandbox image says how it behaves: scan findings for the scan gate,
 * and whether (and at which lifecycle stage) its rollout fails. ECR refuses a malformed one at `PutImage`.
 */

/** Manifest annotation holding emulated scan findings as JSON severity counts, e.g. `{"CRITICAL":1}`. */
export const FINDINGS_ANNOTATION = 'org.shipgate.sandbox.findings';
/** Manifest annotation driving the rollout emulation: `fail` or `unhealthy`. */
export const ROLLOUT_ANNOTATION = 'org.shipgate.sandbox.rollout';
/**
 * Manifest annotation failing a blue/green-family deployment at a lifecycle stage, in one environment or
 * all: `<STAGE>` or `<STAGE>@<environment>`, e.g. `BAKE_TIME@production`.
 */
export const FAIL_AT_ANNOTATION = 'org.shipgate.sandbox.fail-at';
/** Stages a deployment can be told to fail at (those where tasks run or traffic moves). */
export const FAILABLE_STAGES = [
  'SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
  'BAKE_TIME',
] as const;

/** Parses `<STAGE>[@<environment>]`. @returns undefined for no annotation; throws for a malformed one. */
function parseFailAt(value: string | undefined): { stage: string; environment?: string } | undefined {
  if (value === undefined) return undefined;
  const [stage, environment, extra] = value.split('@');
  if (
    extra !== undefined ||
    !(FAILABLE_STAGES as readonly string[]).includes(stage) ||
    (environment !== undefined && !/^[\w.-]+$/.test(environment))
  ) {
    throw invalidAnnotation(
      FAIL_AT_ANNOTATION,
      `is "${value.slice(0, 60)}"; expected <STAGE> or <STAGE>@<environment> with STAGE one of ${FAILABLE_STAGES.join(', ')}`,
    );
  }
  return environment ? { stage, environment } : { stage };
}

/** Severities of scan findings, most severe first. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;

/** How an image asks the sandbox to behave, read from its manifest annotations. */
export interface ImageBehaviour {
  rollout: 'ok' | 'fail' | 'unhealthy';
  /** Blue/green family: the lifecycle stage (and environment) at which the target's tasks fail. */
  failAt?: { stage: string; environment?: string };
  findings: Partial<Record<(typeof SEVERITIES)[number], number>>;
}

/** Largest emulated finding count per severity (keeps DescribeImageScanFindings pages bounded). */
const MAX_FINDINGS_PER_SEVERITY = 1000;

function invalidAnnotation(name: string, problem: string): AwsServiceError {
  return new AwsServiceError(
    'InvalidParameterException',
    `Invalid parameter at 'imageManifest': annotation ${name} ${problem}`,
  );
}

/**
 * Severity counts of a findings annotation (`{"CRITICAL":1,"HIGH":2}`), zero counts left out.
 * @throws AwsServiceError (InvalidParameterException) naming what is wrong: the sandbox's scan gate must
 * never read a typo as "no findings".
 */
export function parseFindings(raw: string | undefined): ImageBehaviour['findings'] {
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidAnnotation(
      FINDINGS_ANNOTATION,
      `is not JSON; expected severity counts such as {"CRITICAL":1}`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidAnnotation(
      FINDINGS_ANNOTATION,
      `must be a JSON object of severity counts such as {"CRITICAL":1}`,
    );
  }
  const findings: ImageBehaviour['findings'] = {};
  for (const [severity, n] of Object.entries(parsed)) {
    if (!(SEVERITIES as readonly string[]).includes(severity)) {
      throw invalidAnnotation(
        FINDINGS_ANNOTATION,
        `has unknown severity "${severity.slice(0, 40)}"; expected one of ${SEVERITIES.join(', ')}`,
      );
    }
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_FINDINGS_PER_SEVERITY) {
      throw invalidAnnotation(
        FINDINGS_ANNOTATION,
        `has ${severity}: ${JSON.stringify(n)?.slice(0, 40)}; expected a whole number from 0 to ${MAX_FINDINGS_PER_SEVERITY}`,
      );
    }
    if (n > 0) findings[severity as (typeof SEVERITIES)[number]] = n;
  }
  return findings;
}

/**
 * The string annotations of a manifest, with the sandbox's own validated.
 * @throws AwsServiceError (InvalidParameterException) for malformed findings or an unknown rollout behaviour.
 */
export function readAnnotations(raw: unknown): Record<string, string> {
  const annotations: Record<string, string> = {};
  if (raw === null || typeof raw !== 'object') return annotations;
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'string') annotations[k] = v;
    else if (k === FINDINGS_ANNOTATION || k === ROLLOUT_ANNOTATION || k === FAIL_AT_ANNOTATION) {
      throw invalidAnnotation(k, `must be a string (OCI annotations are strings); received ${typeof v}`);
    }
  }
  parseFindings(annotations[FINDINGS_ANNOTATION]);
  parseFailAt(annotations[FAIL_AT_ANNOTATION]);
  const rollout = annotations[ROLLOUT_ANNOTATION];
  if (rollout !== undefined && !['ok', 'fail', 'unhealthy'].includes(rollout)) {
    throw invalidAnnotation(
      ROLLOUT_ANNOTATION,
      `is "${rollout.slice(0, 40)}"; expected fail (the deployment fails and rolls back), unhealthy (it completes, the smoke check fails) or ok`,
    );
  }
  return annotations;
}

/**
 * What an image's annotations ask the sandbox to do. `putImage` refused malformed annotations, so what is
 * stored parses; anything else (a state dir edited by hand) counts as no findings and a healthy rollout.
 */
export function behaviourOf(annotations: Record<string, string>): ImageBehaviour {
  const rollout = annotations[ROLLOUT_ANNOTATION];
  let findings: ImageBehaviour['findings'] = {};
  try {
    findings = parseFindings(annotations[FINDINGS_ANNOTATION]);
  } catch {
    // only reachable for a hand-edited state dir: putImage validates annotations
  }
  let failAt: ImageBehaviour['failAt'];
  try {
    failAt = parseFailAt(annotations[FAIL_AT_ANNOTATION]);
  } catch {
    // only reachable for a hand-edited state dir: putImage validates annotations
  }
  return {
    rollout: rollout === 'fail' || rollout === 'unhealthy' ? rollout : 'ok',
    findings,
    ...(failAt ? { failAt } : {}),
  };
}
