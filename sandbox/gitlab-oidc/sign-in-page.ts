import { escapeHtml } from '../../lambdas/domain/approvals/page';

/** One user of the sandbox's GitLab. */
export interface OidcUser {
  username: string;
  name: string;
}

/**
 * The sandbox GitLab's sign-in page: every user (the config's approvers) as a button. A script signs in the
 * same way a person does: it posts `username=<name>` to the form's action (sandbox/README.md).
 */
export function signInPage(uid: string, users: OidcUser[], clientId: string): string {
  const buttons = users
    .map(
      (u) =>
        `<form method="post" action="/interaction/${escapeHtml(uid)}/login"><input type="hidden" name="username" value="${escapeHtml(u.username)}"><button type="submit" data-username="${escapeHtml(u.username)}">Sign in as ${escapeHtml(u.name)} <small>@${escapeHtml(u.username)}</small></button></form>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · GitLab (sandbox)</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem}
button{width:100%;font-size:1rem;padding:.6rem;margin:.3rem 0;border-radius:6px;border:1px solid #8c959f;background:#fff;cursor:pointer;text-align:left}
.note{color:#59636e;font-size:.9rem}</style></head>
<body><h1>Sign in to GitLab</h1>
<p class="note">This is the sandbox's GitLab (a local OpenID provider). <code>${escapeHtml(clientId)}</code> asks who you are; its users are the approvers of your shipgate.config.yaml. Pick one:</p>
${buttons || '<p>No approvers are configured.</p>'}
</body></html>
`;
}
