import { escapeHtml } from './html';
import type { ApproverSnapshot } from '../approvals/types';

/**
 * The part of every review page (approvals and pauses alike) that depends on who is looking: a "Sign in
 * with GitLab" button for a visitor, who they are once signed in, why they may not decide (not an approver,
 * already decided, their own release), and the form (with its CSRF token) when they may.
 */

/** One submit button of the form. */
export interface DecisionButton {
  value: string;
  label: string;
}

/** What the gate puts in its form. */
export interface DecisionForm {
  reasonLabel: string;
  /** Extra fields (the approval's "hotfix" checkbox). */
  extraFields?: string;
  /** The decision that needs a quorum (approve / continue). */
  positive: DecisionButton;
  /** The decision one person makes alone (reject / roll back). */
  negative: DecisionButton;
}

/** Who is looking at the page. */
export interface Viewer {
  /** Where "Sign in with GitLab" goes (`/auth/signin?gate=…`). */
  signInUrl: string;
  /** Where "Sign out" posts. */
  signOutUrl: string;
  /** The signed-in GitLab user, if any. */
  user?: { username: string; name?: string };
  /** Their approver entry on this gate's policy (absent: not an approver). */
  approver?: ApproverSnapshot;
  /** The form's CSRF token (signed in only). */
  csrf?: string;
  /** Their earlier decision on this gate, in words ("approved at …"). */
  decided?: string;
  /** Why they may not take the positive decision (their own release), in words. */
  selfBlocked?: string;
  /** The approvers' names, for "who may decide". */
  approverNames: string[];
  /** A problem with the sign-in cookie, shown as a banner (GET only: a page never fails for it). */
  sessionProblem?: string;
}

const who = (u: { username: string; name?: string }) =>
  `<strong>${escapeHtml(u.name ?? u.username)}</strong> (GitLab <code>@${escapeHtml(u.username)}</code>)`;

/** "Signed in as …" with a sign-out button, for a gate that no longer takes decisions ('' when signed out). */
export function viewerLine(viewer: Viewer): string {
  return viewer.user ? signedInLine(viewer, viewer.user) : '';
}

function signedInLine(viewer: Viewer, user: { username: string; name?: string }): string {
  // Every signed-in page carries the CSRF token (here in the sign-out form too), so a decision posted from a
  // page without the decision form is still judged on what it asks, not refused as a forgery.
  const signOut = `<form method="post" action="${escapeHtml(viewer.signOutUrl)}" class="inline"><input type="hidden" name="csrf" value="${escapeHtml(viewer.csrf ?? '')}"><button type="submit" name="signout" value="1">Sign out</button></form>`;
  return `<p>Signed in as ${who(user)}. ${signOut}</p>`;
}

/** The "who you are" line and the action block of a gate that is still open. */
export function decisionBlock(viewer: Viewer, form: DecisionForm): string {
  const problem = viewer.sessionProblem
    ? `<p class="status warn">${escapeHtml(viewer.sessionProblem)}</p>`
    : '';
  if (!viewer.user) {
    return `${problem}<p>Only ${escapeHtml(viewer.approverNames.join(', '))} may decide, each for themselves: your decision counts for the GitLab user you sign in as.</p>
<p><a class="button" href="${escapeHtml(viewer.signInUrl)}" rel="nofollow">Sign in with GitLab to decide</a></p>`;
  }
  const header = `${problem}${signedInLine(viewer, viewer.user)}`;
  if (!viewer.approver) {
    return `${header}<p class="status bad">@${escapeHtml(viewer.user.username)} is not an approver here, so you may not decide. Approvers: ${escapeHtml(viewer.approverNames.join(', '))}.</p>`;
  }
  if (viewer.decided) {
    return `${header}<p class="status">You already decided: ${escapeHtml(viewer.decided)}. Each approver decides once.</p>`;
  }
  return `${header}<form method="post">
<input type="hidden" name="csrf" value="${escapeHtml(viewer.csrf ?? '')}">
<p><label for="reason">${escapeHtml(form.reasonLabel)}</label><br>
<textarea id="reason" name="reason" maxlength="1000"></textarea></p>
${form.extraFields ?? ''}${
    viewer.selfBlocked
      ? `<p class="status warn">You may not ${escapeHtml(form.positive.label.toLowerCase())}: ${escapeHtml(viewer.selfBlocked)}. You can still ${escapeHtml(form.negative.label.toLowerCase())}.</p>`
      : `<button type="submit" name="decision" value="${escapeHtml(form.positive.value)}">${escapeHtml(form.positive.label)}</button>`
  }<button type="submit" name="decision" value="${escapeHtml(form.negative.value)}">${escapeHtml(form.negative.label)}</button>
</form>`;
}
