import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { nowSeconds, type ApprovalDeps } from '../../domain/approvals/deps';
import { CrossSiteRequestError, NotAnApproverError } from '../../domain/approvals/errors';
import { linkSigningKey } from '../../domain/approvals/notify';
import { PAGE_HEADERS, renderErrorPage } from '../../domain/approvals/page';
import {
  earlierDecision,
  type DecisionGate,
  type GateViewBase,
  type Notice,
} from '../../domain/decisions/gate';
import type { Viewer } from '../../domain/decisions/page';
import { SessionError } from '../../domain/decisions/errors';
import {
  assertCsrf,
  csrfToken,
  gatePath,
  readSession,
  type GateRef,
  type Session,
} from '../../domain/decisions/session';
import {
  BadRequestError,
  PayloadTooLargeError,
  ShipgateError,
  UnsupportedMediaTypeError,
} from '../../shared/errors';
import { publicUrl } from '../../shared/links';
import { logger } from '../../shared/logger';

/**
 * The review pages of approvals and pauses, one flow for both (`decisionRoutes(approvalGate)` under
 * /approvals, `decisionRoutes(pauseGate)` under /pauses):
 * - `GET`/`HEAD /<id>`: the one review link of the gate. Shows what is being decided and never changes
 *   anything (link-preview bots and mail scanners fetch these URLs). A visitor sees "Sign in with GitLab".
 * - `POST /<id>`: decides, for the GitLab user signed in on this gate (session cookie), if that user is an
 *   approver; the form must carry the session's CSRF token and come from this site.
 */
export function decisionRoutes<V extends GateViewBase, D extends ApprovalDeps>(
  gate: DecisionGate<V, D>,
): Hono {
  const routes = new Hono();

  routes.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof ShipgateError && err.status < 500) {
      return c.html(renderErrorPage(err.status, err.message), err.status as 403, PAGE_HEADERS);
    }
    logger.error(`Review page of a ${gate.noun} failed`, {
      error: (err as Error)?.name,
      message: (err as Error)?.message,
      path: c.req.path,
    });
    return c.html(
      renderErrorPage(
        500,
        `Shipgate could not load this ${gate.noun} right now. Reload the page in a minute.`,
      ),
      500,
      PAGE_HEADERS,
    );
  });

  const ref = (c: Context): GateRef => ({ kind: gate.kind, id: c.req.param('id') ?? '' });

  function viewer(view: V, key: string, session: Session | undefined, problem?: string): Viewer {
    const g: GateRef = { kind: gate.kind, id: view.id };
    const approver = session ? view.policy.approvers.find((a) => a.key === session.username) : undefined;
    return {
      signInUrl: `${publicUrl()}/auth/signin?${new URLSearchParams({ gate: `${g.kind}:${g.id}` })}`,
      signOutUrl: `${publicUrl()}/auth/signout?${new URLSearchParams({ gate: `${g.kind}:${g.id}` })}`,
      approverNames: view.policy.approvers.map((a) => `${a.name} (@${a.key})`),
      ...(session
        ? { user: { username: session.username, ...(session.name ? { name: session.name } : {}) } }
        : {}),
      ...(session ? { csrf: csrfToken(key, session) } : {}),
      ...(approver ? { approver } : {}),
      ...(approver && earlierDecision(view, approver.key)
        ? { decided: earlierDecision(view, approver.key) }
        : {}),
      ...(approver && gate.selfBlocked(view, approver)
        ? { selfBlocked: gate.selfBlocked(view, approver) }
        : {}),
      ...(problem ? { sessionProblem: problem } : {}),
    };
  }

  function page(
    c: Context,
    deps: D,
    view: V,
    v: Viewer,
    extra: { notice?: Notice; gone?: string; status?: number } = {},
  ) {
    return c.html(
      gate.render(view, {
        viewer: v,
        nowSeconds: nowSeconds(deps),
        ...(extra.notice ? { notice: extra.notice } : {}),
        ...(extra.gone ? { noLongerWaiting: extra.gone } : {}),
      }),
      (extra.status ?? 200) as 200,
      PAGE_HEADERS,
    );
  }

  // GET (and HEAD, which hono answers from the GET handler without a body) only reads.
  routes.get('/:id', async (c) => {
    const deps = gate.deps();
    const key = await linkSigningKey(deps);
    const view = await gate.load(deps, c.req.param('id'));
    let session: Session | undefined;
    let problem: string | undefined;
    try {
      session = await readSession(c, key, ref(c), nowSeconds(deps));
    } catch (err) {
      // A page never fails for its cookie: it shows the problem and offers to sign in again.
      if (!(err instanceof ShipgateError)) throw err;
      problem = err.message.replace(': nothing was recorded', '');
    }
    const gone = view.status === 'OPEN' ? await gate.noLongerWaiting(deps, view) : undefined;
    return page(c, deps, view, viewer(view, key, session, problem), { gone });
  });

  // Personal links of earlier messages (`/<id>/<approver>?exp&sig`) lead to the gate's one review page.
  routes.get('/:id/:legacy', (c) => c.redirect(`${publicUrl()}${gatePath(ref(c))}`, 303));

  routes.post('/:id', async (c) => {
    const deps = gate.deps();
    const key = await linkSigningKey(deps);
    assertSameSiteFormPost(c);
    const session = await readSession(c, key, ref(c), nowSeconds(deps));
    if (!session) {
      throw new SessionError(
        `Nobody is signed in on this ${gate.noun}: nothing was recorded. Open the review link and sign in with GitLab to decide.`,
      );
    }
    const form = await c.req.parseBody();
    assertCsrf(key, session, form.csrf);
    const decision = form.decision;
    if (typeof decision !== 'string' || !gate.decisions.includes(decision)) {
      throw new BadRequestError(
        `The form field "decision" must be ${gate.decisions.map((d) => `"${d}"`).join(' or ')}; received ${typeof decision === 'string' ? JSON.stringify(decision.slice(0, 40)) : 'nothing'}.`,
      );
    }
    const view = await gate.load(deps, ref(c).id);
    const approver = view.policy.approvers.find((a) => a.key === session.username);
    if (!approver) {
      throw new NotAnApproverError(
        `You are signed in with GitLab as @${session.username}, who is not an approver of ${gate.noun} ${view.id} (${view.environment}); its approvers are ${view.policy.approvers
          .map((a) => `@${a.key}`)
          .join(', ')}. Nothing was recorded.`,
      );
    }
    const reason = typeof form.reason === 'string' ? form.reason.slice(0, gate.maxReason) : undefined;
    const result = await gate.decide(
      deps,
      view,
      { username: approver.key, source: 'gitlab', identity: `gitlab:${session.username}` },
      { decision, ...(reason ? { reason } : {}), ...(form.hotfix === '1' ? { hotfix: true } : {}) },
    );
    const answer = answerFor(gate, decision, result);
    return page(c, deps, result.view, viewer(result.view, key, session), answer);
  });

  return routes;
}

/**
 * The page's banner and status after a decision. A decision that lost a race to an opposite one (Carol's
 * rollback arriving as Alice and Bob's continues closed the pause) answers 409 and says what happened.
 */
function answerFor<V extends GateViewBase>(
  gate: Pick<DecisionGate<V>, 'noun' | 'decisions' | 'agrees' | 'outcomeWords'>,
  decision: string,
  result: { view: V; decided: boolean; remaining: number; deliveryFailed?: boolean },
): { notice: Notice; status: number } {
  const quorumDecision = decision === gate.decisions[0];
  if (result.deliveryFailed) {
    return {
      status: 200,
      notice: {
        kind: 'warn',
        text: `Your decision was recorded and decided the ${gate.noun}, but the workflow could not be told right now, so the release is still waiting and will fail at its timeout. Ask an operator to check ${gate.noun} ${result.view.id}.`,
      },
    };
  }
  if (result.view.status === 'OPEN') {
    return {
      status: 200,
      notice: {
        kind: 'ok',
        text: `Your decision “${decision}” was recorded. ${result.remaining} more “${gate.decisions[0]}” ${result.remaining === 1 ? 'is' : 'are'} needed.`,
      },
    };
  }
  if (result.decided) {
    return {
      status: 200,
      notice: {
        kind: quorumDecision ? 'ok' : 'bad',
        text: `Your decision “${decision}” was recorded and decided the ${gate.noun}: ${gate.outcomeWords(result.view)}.`,
      },
    };
  }
  if (gate.agrees(result.view, decision)) {
    return {
      status: 200,
      notice: {
        kind: 'ok',
        text: `Your decision “${decision}” was recorded; the ${gate.noun} had just been decided the same way: ${gate.outcomeWords(result.view)}.`,
      },
    };
  }
  return {
    status: 409,
    notice: {
      kind: 'bad',
      text: `Your “${decision}” came too late: the ${gate.noun} had already been decided — ${gate.outcomeWords(result.view)}. Your decision changed nothing.`,
    },
  };
}

/** Largest form body accepted (a reason is at most 1000 characters). */
const MAX_FORM_BYTES = 16 * 1024;

/** CSRF defence in depth (the CSRF token is the main one): a form post from this origin only. */
export function assertSameSiteFormPost(c: Context): void {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' && type !== 'multipart/form-data') {
    throw new UnsupportedMediaTypeError(
      `A decision must be submitted with the review page's form (application/x-www-form-urlencoded or multipart/form-data); received ${type ? `"${type}"` : 'no Content-Type'}.`,
    );
  }
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') {
    throw new CrossSiteRequestError(
      `Decisions are only accepted from Shipgate's own review page; this request came from a ${site} page (Sec-Fetch-Site). Open the review link and use its buttons.`,
    );
  }
  // `Origin: null` is what browsers send for our own form under `Referrer-Policy: no-referrer`.
  const origin = c.req.header('origin');
  if (origin && origin !== 'null') {
    const allowed = new Set([new URL(c.req.url).origin, new URL(publicUrl()).origin]);
    if (!allowed.has(origin)) {
      throw new CrossSiteRequestError(
        `Decisions are only accepted from Shipgate's own review page; this request came from ${origin}. Open the review link and use its buttons.`,
      );
    }
  }
  const length = Number(c.req.header('content-length') ?? '0');
  if (length > MAX_FORM_BYTES) {
    throw new PayloadTooLargeError(`The form is ${length} bytes; at most ${MAX_FORM_BYTES} are accepted.`);
  }
}
