import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { nowSeconds } from '../../domain/approvals/deps';
import { ApprovalLinkError } from '../../domain/approvals/errors';
import { noLongerWaiting } from '../../domain/approvals/liveness';
import { linkSigningKey } from '../../domain/approvals/notify';
import { PAGE_HEADERS, renderErrorPage } from '../../domain/approvals/page';
import {
  decidePause,
  getPauseView,
  isOwnRelease,
  MAX_PAUSE_REASON,
  pauseApprover,
} from '../../domain/pauses/decide';
import { pauseDeps, type PauseDeps } from '../../domain/pauses/deps';
import { checkPauseLink } from '../../domain/pauses/links';
import { renderPausePage } from '../../domain/pauses/page';
import type { PauseView } from '../../domain/pauses/types';
import type { ApproverSnapshot } from '../../domain/approvals/types';
import { BadRequestError, ShipgateError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { assertSameSiteFormPost } from './approvals';

/**
 * Confirm pages of pauses: `GET`/`HEAD /pauses/:id/:approver?exp&sig` shows the paused step and changes
 * nothing (link previews and mail scanners fetch these URLs); `POST` with the form decides. The signed URL is
 * the capability and is checked before anything else, exactly as for approvals.
 */
export const pauseRoutes = new Hono();

pauseRoutes.onError((err, c) => {
  if (err instanceof HTTPException) return err.getResponse();
  if (err instanceof ShipgateError && err.status < 500) {
    return c.html(renderErrorPage(err.status, err.message), err.status as 403, PAGE_HEADERS);
  }
  logger.error('Pause page failed', { error: (err as Error)?.name, message: (err as Error)?.message });
  return c.html(
    renderErrorPage(500, 'Shipgate could not load this pause right now. Reload the page in a minute.'),
    500,
    PAGE_HEADERS,
  );
});

interface Authorised {
  deps: PauseDeps;
  view: PauseView;
  approver: ApproverSnapshot;
}

async function authorise(c: Context): Promise<Authorised> {
  const id = c.req.param('id') ?? '';
  const approverKey = c.req.param('approver') ?? '';
  const deps = pauseDeps();
  const key = await linkSigningKey(deps);
  const exp = c.req.query('exp');
  const problem = checkPauseLink(
    key,
    { pauseId: id, approver: approverKey, exp, sig: c.req.query('sig') },
    nowSeconds(deps),
  );
  if (problem === 'malformed') {
    throw new ApprovalLinkError(
      'This pause link is incomplete or damaged (it needs its "exp" and "sig" parameters). Open the link exactly as it appears in the chat message.',
    );
  }
  if (problem === 'bad-signature') {
    throw new ApprovalLinkError(
      `This link is not a valid link for pause "${id}" and approver "${approverKey}" (signature mismatch). Use your own link from the chat message, unchanged.`,
    );
  }
  if (problem === 'expired') {
    throw new ApprovalLinkError(
      `This pause link expired at ${new Date(Number(exp) * 1000).toISOString()}: ECS took the pause's timeout action.`,
    );
  }
  const view = await getPauseView(deps, id);
  return { deps, view, approver: pauseApprover(view, approverKey) };
}

function page(
  c: Context,
  auth: Authorised,
  view: PauseView,
  notice?: { kind: 'ok' | 'warn' | 'bad'; text: string },
  gone?: string,
) {
  return c.html(
    renderPausePage(view, {
      approver: auth.approver,
      notice,
      continueBlocked: !view.policy.allowSelfApproval && isOwnRelease(view, auth.approver),
      nowSeconds: nowSeconds(auth.deps),
      ...(gone ? { noLongerWaiting: gone.replace('for approval', 'at this pause') } : {}),
    }),
    200,
    PAGE_HEADERS,
  );
}

pauseRoutes.get('/:id/:approver', async (c) => {
  const auth = await authorise(c);
  const gone = auth.view.status === 'OPEN' ? await noLongerWaiting(auth.deps, auth.view) : undefined;
  return page(c, auth, auth.view, undefined, gone);
});

pauseRoutes.post('/:id/:approver', async (c) => {
  const auth = await authorise(c);
  assertSameSiteFormPost(c);
  const form = await c.req.parseBody();
  const decision = form.decision;
  if (decision !== 'continue' && decision !== 'rollback') {
    throw new BadRequestError(
      `The form field "decision" must be "continue" or "rollback"; received ${typeof decision === 'string' ? JSON.stringify(decision.slice(0, 40)) : 'nothing'}.`,
    );
  }
  const reason = typeof form.reason === 'string' ? form.reason.slice(0, MAX_PAUSE_REASON) : undefined;
  const result = await decidePause(
    {
      pauseId: auth.view.id,
      approver: auth.approver.key,
      decision,
      reason,
      via: 'link',
      identity: `link:${auth.approver.key}`,
    },
    auth.deps,
  );
  const notice =
    decision === 'rollback'
      ? { kind: 'bad' as const, text: 'Your decision was recorded: ECS rolls the deployment back.' }
      : result.decided
        ? {
            kind: 'ok' as const,
            text: 'Your decision was recorded. The quorum is reached and ECS continues the deployment.',
          }
        : {
            kind: 'ok' as const,
            text: `Your decision was recorded. ${result.remaining} more “continue” ${result.remaining === 1 ? 'is' : 'are'} needed.`,
          };
  return page(c, auth, result.pause, notice);
});
