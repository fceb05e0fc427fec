import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { checkLink } from '../../domain/approvals/links';
import { approvalDeps, nowSeconds, type ApprovalDeps } from '../../domain/approvals/deps';
import { ApprovalLinkError, CrossSiteRequestError } from '../../domain/approvals/errors';
import { noLongerWaiting } from '../../domain/approvals/liveness';
import { linkSigningKey } from '../../domain/approvals/notify';
import { PAGE_HEADERS, renderApprovalPage, renderErrorPage } from '../../domain/approvals/page';
import type { ApprovalView, ApproverSnapshot } from '../../domain/approvals/types';
import {
  castVote,
  expireIfOverdue,
  getApprovalView,
  isSelfApproval,
  MAX_REASON_LENGTH,
  policyApprover,
} from '../../domain/approvals/vote';
import {
  BadRequestError,
  PayloadTooLargeError,
  ShipgateError,
  UnsupportedMediaTypeError,
} from '../../shared/errors';
import { publicUrl } from '../../shared/links';
import { logger } from '../../shared/logger';

/**
 * Confirm pages under /approvals: `GET`/`HEAD /approvals/:id/:approver?exp&sig` shows what is being approved
 * and never changes anything (link-preview bots and mail scanners fetch these URLs); `POST` to the same URL
 * records the vote. The signed URL is the capability, so it is checked before anything else.
 */
export const approvalRoutes = new Hono();

/** Largest form body accepted (a reason is at most 1000 characters). */
const MAX_FORM_BYTES = 16 * 1024;

/** People reach these URLs in a browser: errors are small HTML pages with the same security headers. */
approvalRoutes.onError((err, c) => {
  if (err instanceof HTTPException) return err.getResponse();
  if (err instanceof ShipgateError && err.status < 500) {
    return c.html(renderErrorPage(err.status, err.message), err.status as 403, PAGE_HEADERS);
  }
  logger.error('Confirm page failed', {
    error: (err as Error)?.name,
    message: (err as Error)?.message,
    path: c.req.path,
  });
  return c.html(
    renderErrorPage(500, 'Shipgate could not load this approval right now. Reload the page in a minute.'),
    500,
    PAGE_HEADERS,
  );
});

interface Authorised {
  deps: ApprovalDeps;
  view: ApprovalView;
  approver: ApproverSnapshot;
}

/** Checks the signed link (403 on any problem), then loads the approval and the link's approver. */
async function authorise(c: Context, willVote: boolean): Promise<Authorised> {
  const id = c.req.param('id') ?? '';
  const approverKey = c.req.param('approver') ?? '';
  const deps = approvalDeps();
  const key = await linkSigningKey(deps);
  const exp = c.req.query('exp');
  const problem = checkLink(
    key,
    { approvalId: id, approver: approverKey, exp, sig: c.req.query('sig') },
    nowSeconds(deps),
  );
  if (problem === 'malformed') {
    throw new ApprovalLinkError(
      'This approval link is incomplete or damaged (it needs its "exp" and "sig" parameters). Open the link exactly as it appears in the chat message.',
    );
  }
  if (problem === 'bad-signature') {
    throw new ApprovalLinkError(
      `This link is not a valid approval link for approval "${id}" and approver "${approverKey}" (signature mismatch). Use your own link from the chat message, unchanged.`,
    );
  }
  if (problem === 'expired') {
    // The signature is genuine, so the request really is past its deadline: on a vote attempt, close it.
    if (willVote) await expireIfOverdue(deps, id);
    throw new ApprovalLinkError(
      `This approval link expired at ${new Date(Number(exp) * 1000).toISOString()}: the approval request timed out and the release did not continue.`,
    );
  }
  const view = await getApprovalView(deps, id);
  return { deps, view, approver: policyApprover(view, approverKey) };
}

/** CSRF defence in depth (the signed URL is the capability): a form post from this origin only. */
export function assertSameSiteFormPost(c: Context): void {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' && type !== 'multipart/form-data') {
    throw new UnsupportedMediaTypeError(
      `A vote must be submitted with the confirm page's form (application/x-www-form-urlencoded or multipart/form-data); received ${type ? `"${type}"` : 'no Content-Type'}.`,
    );
  }
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') {
    throw new CrossSiteRequestError(
      `Votes are only accepted from Shipgate's own confirm page; this request came from a ${site} page (Sec-Fetch-Site). Open your approval link and use its buttons.`,
    );
  }
  // `Origin: null` is what browsers send for our own form under `Referrer-Policy: no-referrer`.
  const origin = c.req.header('origin');
  if (origin && origin !== 'null') {
    const allowed = new Set([new URL(c.req.url).origin, new URL(publicUrl()).origin]);
    if (!allowed.has(origin)) {
      throw new CrossSiteRequestError(
        `Votes are only accepted from Shipgate's own confirm page; this request came from ${origin}. Open your approval link and use its buttons.`,
      );
    }
  }
  const length = Number(c.req.header('content-length') ?? '0');
  if (length > MAX_FORM_BYTES) {
    throw new PayloadTooLargeError(`The form is ${length} bytes; at most ${MAX_FORM_BYTES} are accepted.`);
  }
}

function page(
  c: Context,
  auth: Authorised,
  view: ApprovalView,
  notice?: Parameters<typeof renderApprovalPage>[1]['notice'],
  noLongerWaiting?: string,
) {
  return c.html(
    renderApprovalPage(view, {
      approver: auth.approver,
      notice,
      selfApprovalBlocked: !view.policy.allowSelfApproval && isSelfApproval(view, auth.approver),
      nowSeconds: nowSeconds(auth.deps),
      ...(noLongerWaiting ? { noLongerWaiting } : {}),
    }),
    200,
    PAGE_HEADERS,
  );
}

// GET (and HEAD, which hono answers from the GET handler without a body) only reads.
approvalRoutes.get('/:id/:approver', async (c) => {
  const auth = await authorise(c, false);
  // An open request whose execution ended (stopped, failed elsewhere) says so instead of offering a form.
  const gone = auth.view.status === 'OPEN' ? await noLongerWaiting(auth.deps, auth.view) : undefined;
  return page(c, auth, auth.view, undefined, gone);
});

approvalRoutes.post('/:id/:approver', async (c) => {
  const auth = await authorise(c, true);
  assertSameSiteFormPost(c);
  const form = await c.req.parseBody();
  const decision = form.decision;
  if (decision !== 'approve' && decision !== 'reject') {
    throw new BadRequestError(
      `The form field "decision" must be "approve" or "reject"; received ${typeof decision === 'string' ? JSON.stringify(decision.slice(0, 40)) : 'nothing'}.`,
    );
  }
  const reason = typeof form.reason === 'string' ? form.reason.slice(0, MAX_REASON_LENGTH) : undefined;
  const result = await castVote(
    {
      approvalId: auth.view.id,
      approver: auth.approver.key,
      decision,
      reason,
      ...(form.hotfix === '1' ? { hotfix: true } : {}),
      via: 'link',
      identity: `link:${auth.approver.key}`,
    },
    auth.deps,
  );
  const notice =
    result.delivery === 'failed'
      ? {
          kind: 'warn' as const,
          text: `Your ${decision === 'approve' ? 'approval' : 'rejection'} was recorded and decided the request, but Step Functions could not be told right now, so the release is still waiting and will fail at its timeout. Ask an operator to check approval ${result.approval.id}.`,
        }
      : voteNotice(decision, result.approval, result.remaining);
  return page(c, auth, result.approval, notice);
});

function voteNotice(
  decision: 'approve' | 'reject',
  view: ApprovalView,
  remaining: number,
): { kind: 'ok' | 'warn' | 'bad'; text: string } {
  if (decision === 'reject') {
    return view.status === 'REJECTED'
      ? { kind: 'bad', text: 'Your rejection was recorded. The release stops here.' }
      : {
          kind: 'warn',
          text: `Your rejection was recorded, but the request had just closed (${view.status.toLowerCase()}).`,
        };
  }
  if (view.status === 'APPROVED') {
    return {
      kind: 'ok',
      text: 'Your approval was recorded. The quorum is reached and the release continues.',
    };
  }
  if (view.status === 'OPEN') {
    return {
      kind: 'ok',
      text: `Your approval was recorded. ${remaining} more approval${remaining === 1 ? ' is' : 's are'} needed.`,
    };
  }
  return {
    kind: 'warn',
    text: `Your approval was recorded, but the request had just closed (${view.status.toLowerCase()}).`,
  };
}
