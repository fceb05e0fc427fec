import * as z from './zod';

/**
 * The release as it travels through the workflow. The webhook builds `ReleaseInput` and starts the
 * execution with it; each top-level state writes its own small result next to it:
 *
 * ```
 * { release, resolved, scan, approvals: { <env>: … }, deployments: { <env>: … }, verify: { <env>: … }, record }
 * ```
 *
 * Nothing secret (tokens, signed links, task tokens) is ever part of this document.
 */
export const releaseSchema = z.object({
  /** Release id; equals the execution name. */
  id: z.string().check(z.minLength(1), z.maxLength(80)),
  project: z.object({
    id: z.number().check(z.int()),
    path: z.string().check(z.minLength(1)),
    webUrl: z.optional(z.string()),
  }),
  commit: z.object({
    sha: z.string().check(z.regex(/^[0-9a-f]{40}$/)),
    title: z.string(),
    url: z.optional(z.string()),
    author: z.optional(z.string()),
  }),
  /** Short ref name (`main`, `v1.2.3`). */
  ref: z.string().check(z.minLength(1)),
  tag: z.boolean(),
  pipeline: z.object({ id: z.number().check(z.int()), url: z.optional(z.string()) }),
  triggeredBy: z.object({
    username: z.string(),
    name: z.optional(z.string()),
    email: z.optional(z.string()),
  }),
  /** Services this release deploys (config keys). */
  services: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  /** Environments in order (config names). */
  environments: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  /**
   * Deterministic key of the GitLab event that started it (`gitlab:<projectId>:pipeline:<pipelineId>:<status>`),
   * not the per-delivery Idempotency-Key, so every delivery of one event builds the same input.
   */
  deliveryId: z.string(),
  /** When the pipeline finished (ISO 8601, from the event, never the receive time: keeps the input deterministic). */
  createdAt: z.string(),
});

/** Schema of the state machine input (`ReleaseInput`). */
export const releaseInputSchema = z.object({ release: releaseSchema });

/** What the webhook knows about a release. */
export type Release = z.infer<typeof releaseSchema>;

/** Input document of the release state machine. */
export interface ReleaseInput {
  release: Release;
}

/** One service's image, pinned by digest, as resolved by "Resolve release". */
export interface ResolvedImage {
  service: string;
  repository: string;
  /** `sha256:…` */
  digest: string;
  /** `<registry>/<repository>@sha256:…` */
  imageUri: string;
}

/** Output of "Resolve release" (`$.resolved`). */
export interface ResolvedRelease {
  images: ResolvedImage[];
}
