/** What self-approval reads of an approver (`ApproverSnapshot` has it). */
export interface ApproverIdentity {
  /** GitLab username. */
  key: string;
  name: string;
  email?: string | string[];
}

/**
 * Who counts as a release's own people when the policy says `allowSelfApproval: false`: the GitLab user who
 * triggered the pipeline (by username, or e-mail), and the authors of the release's commits (by the e-mail
 * addresses the approver lists in config). Each is configurable (`selfApproval: { pipelineUser,
 * commitAuthors }`, both on by default).
 */

/** The policy's switches (older stored requests have none: both apply). */
export interface SelfApprovalRules {
  pipelineUser: boolean;
  commitAuthors: boolean;
}

/** What is known about a release's people. */
export interface ReleasePeople {
  triggeredBy: { username?: string; email?: string };
  /** E-mail addresses of the authors of the release's commits. */
  commitAuthors?: string[];
}

const norm = (v: string | undefined) => (v ?? '').trim().toLowerCase();

/** The approver's e-mail addresses (config `email`: one or a list). */
export function approverEmails(approver: ApproverIdentity): string[] {
  const e = approver.email;
  return (Array.isArray(e) ? e : e ? [e] : []).map(norm).filter(Boolean);
}

/**
 * Why `approver` counts as the release's own person, in words, or `undefined`.
 * @example selfApprovalWhy({ triggeredBy: { username: 'alice' } }, { key: 'alice', name: 'Alice' })
 *   // 'Alice (@alice) triggered the pipeline of this release'
 */
export function selfApprovalWhy(
  people: ReleasePeople,
  approver: ApproverIdentity,
  rules: SelfApprovalRules = { pipelineUser: true, commitAuthors: true },
): string | undefined {
  const emails = approverEmails(approver);
  const t = people.triggeredBy;
  if (rules.pipelineUser) {
    const byName = norm(t.username) !== '' && norm(t.username) === norm(approver.key);
    const byEmail = norm(t.email) !== '' && emails.includes(norm(t.email));
    if (byName || byEmail)
      return `${approver.name} (@${approver.key}) triggered the pipeline of this release`;
  }
  if (rules.commitAuthors) {
    const authored = (people.commitAuthors ?? []).map(norm).find((a) => emails.includes(a));
    if (authored)
      return `${approver.name} (@${approver.key}) authored a commit of this release (${authored})`;
  }
  return undefined;
}
