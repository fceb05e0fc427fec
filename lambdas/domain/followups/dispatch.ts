import type { ApprovalDeps } from '../approvals/deps';
import { handOffFollowUp } from './hand-off';
import { runFollowUp } from './run';
import type { FollowUp } from './types';

/**
 * Where a decision's follow-up (chat, the release record, GitLab) runs. The workflow's steps run it in
 * place: they are not answering anyone. The HTTP function hands it to the follow-up function
 * asynchronously, so a vote's answer never waits for chat or GitLab (each bounded by retries of seconds).
 */

/**
 * Sends one follow-up: through `deps.followUp` when given; else handed off when this is the HTTP bundle;
 * else run here.
 *
 * `process.env.SHIPGATE_FOLLOW_UPS` is written out so that the HTTP bundle's esbuild `define`
 * (lib/build/lambda-bundles.ts) makes it the constant `"hand-off"`: the run-here branch is then dead code,
 * and the chat and GitLab modules behind it are not in that bundle at all.
 */
export async function followUp(deps: ApprovalDeps, task: FollowUp): Promise<void> {
  if (deps.followUp) return deps.followUp(task);
  // An if/else (not an early return): esbuild drops the dead branch, and with it the only use of runFollowUp.
  if (process.env.SHIPGATE_FOLLOW_UPS === 'hand-off') {
    await handOffFollowUp(task, { env: deps.env });
  } else {
    await runFollowUp(deps, task);
  }
}
