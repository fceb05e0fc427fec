import { DemoError } from './demo-error';

/**
 * Deciding approvals and pauses from a script the way a person does in a browser: open the gate's review
 * link, "Sign in with GitLab", pick the user on the (sandbox) GitLab's sign-in page, come back signed in,
 * and submit the review page's form (with its CSRF token). A `BrowserSession` is one browser: it keeps
 * cookies per host as browsers do (not per port), follows redirects, and sends what a browser's form sends.
 *
 * @example
 * await decideAs(pending.reviewUrl, 'alice', 'approve', 'looks good'); // 200
 */

/** A decision on a gate: approvals take approve / reject, pauses continue / rollback. */
export type GateDecision = 'approve' | 'reject' | 'continue' | 'rollback';

interface Cookie {
  value: string;
  path: string;
}

/** What a request ended with after redirects. */
export interface PageResult {
  status: number;
  url: string;
  html: string;
}

const unescape = (v: string) =>
  v
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The value of a hidden input `name` in `html`. */
export function hiddenInput(html: string, name: string): string | undefined {
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    const tag = m[0];
    if (new RegExp(`name\\s*=\\s*["']${name}["']`, 'i').test(tag)) {
      return unescape(/value\s*=\s*["']([^"']*)["']/i.exec(tag)?.[1] ?? '');
    }
  }
  return undefined;
}

/** One browser: cookies per host, redirects followed, form posts as a browser sends them. */
export class BrowserSession {
  private readonly jar = new Map<string, Map<string, Cookie>>();

  /** The cookies this browser would send to `url`, as a `Cookie` header value. */
  cookieHeader(url: string): string {
    const u = new URL(url);
    const host = this.jar.get(u.hostname);
    if (!host) return '';
    return [...host.entries()]
      .filter(
        ([, c]) =>
          u.pathname === c.path ||
          u.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) ||
          c.path === '/',
      )
      .sort(([, a], [, b]) => b.path.length - a.path.length)
      .map(([k, c]) => `${k.split('\n')[0]}=${c.value}`)
      .join('; ');
  }

  /** Replaces a cookie's value (tests forge and transplant cookies with this). */
  setCookie(url: string, name: string, value: string, path: string): void {
    const host = new URL(url).hostname;
    if (!this.jar.has(host)) this.jar.set(host, new Map());
    this.jar.get(host)!.set(`${name}\n${path}`, { value, path });
  }

  /** The cookie `name` this browser holds for `url`'s host (any path). */
  getCookie(url: string, name: string): Cookie | undefined {
    for (const [k, c] of this.jar.get(new URL(url).hostname) ?? []) if (k.split('\n')[0] === name) return c;
    return undefined;
  }

  private store(url: string, res: Response): void {
    const u = new URL(url);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((p) => p.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = u.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        if (k.toLowerCase() === 'path') path = v || '/';
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      if (!this.jar.has(u.hostname)) this.jar.set(u.hostname, new Map());
      const host = this.jar.get(u.hostname)!;
      if (expired || value === '') host.delete(`${name}\n${path}`);
      else host.set(`${name}\n${path}`, { value, path });
    }
  }

  /** A request with this browser's cookies, following redirects (GET after 302/303, as browsers do). */
  async request(
    url: string,
    init: {
      method?: string;
      form?: Record<string, string>;
      headers?: Record<string, string>;
      /** Stop before following a redirect to a URL this accepts (resolves with that URL and status 0). */
      stopAt?: (next: string) => boolean;
    } = {},
  ): Promise<PageResult> {
    let current = url;
    let method = init.method ?? 'GET';
    let body: URLSearchParams | undefined = init.form ? new URLSearchParams(init.form) : undefined;
    for (let hop = 0; hop < 20; hop++) {
      const headers: Record<string, string> = {
        'user-agent': 'shipgate-sandbox-script',
        ...(init.headers ?? {}),
      };
      const cookie = this.cookieHeader(current);
      if (cookie) headers.cookie = cookie;
      if (body) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        headers.origin ??= new URL(current).origin;
      }
      const res = await fetch(current, { method, headers, body, redirect: 'manual' });
      this.store(current, res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        current = new URL(location, current).toString();
        if (init.stopAt?.(current)) return { status: 0, url: current, html: '' };
        method = 'GET';
        body = undefined;
        continue;
      }
      return { status: res.status, url: current, html: await res.text() };
    }
    throw new DemoError(`Too many redirects from ${url}`);
  }

  /**
   * Signs in on a gate's review page as `username` through its GitLab: "Sign in with GitLab", then the
   * user's button on the sign-in page. Resolves with the review page, signed in.
   * @throws DemoError when a step does not answer as expected (the page's text says why).
   */
  async signIn(reviewUrl: string, username: string): Promise<PageResult> {
    // The review page's "Sign in with GitLab" button goes here; a closed gate's page has no button, but a
    // script may still sign in to see what a vote would answer.
    const gate = /\/(approvals|pauses)\/([^/?#]+)/.exec(new URL(reviewUrl).pathname);
    if (!gate) throw new DemoError(`${reviewUrl} is not a review link (…/approvals/<id> or …/pauses/<id>)`);
    const kind = gate[1] === 'approvals' ? 'approval' : 'pause';
    const start = new URL(`/auth/signin?gate=${kind}:${gate[2]}`, reviewUrl).toString();
    const chooser = await this.request(start);
    const action = new RegExp(
      `<form\\b[^>]*action="([^"]*)"[^>]*>\\s*<input type="hidden" name="username" value="${username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`,
    ).exec(chooser.html)?.[1];
    if (!action) {
      throw new DemoError(
        `The GitLab sign-in page (${chooser.status}) offers no user "${username}": ${text(chooser.html)}`,
      );
    }
    const back = await this.request(new URL(unescape(action), chooser.url).toString(), {
      method: 'POST',
      form: { username },
    });
    if (back.status !== 200 || new URL(back.url).pathname !== new URL(reviewUrl).pathname) {
      throw new DemoError(
        `Signing in as ${username} did not come back to the review page (${back.status}): ${text(back.html)}`,
      );
    }
    return back;
  }

  /**
   * Submits the review page's form as a browser does (its CSRF token included). Resolves with the answer.
   */
  async decide(
    reviewUrl: string,
    decision: GateDecision,
    reason = '',
    extra: Record<string, string> = {},
  ): Promise<PageResult> {
    const page = await this.request(reviewUrl);
    const csrf = hiddenInput(page.html, 'csrf') ?? '';
    return this.request(reviewUrl, { method: 'POST', form: { csrf, decision, reason, ...extra } });
  }
}

/** The visible text of a page, shortened (for error messages). */
export function text(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 400);
}

/**
 * Decides a gate as `username`: a fresh browser opens the review link, signs in with GitLab as that user and
 * submits the form. Returns the HTTP status of the decision (200 recorded; 401/403/409 with the reason on
 * the page). This is the one helper every test and script decides with.
 * @example expect(await decideAs(pending.reviewUrl, 'bob', 'approve')).toBe(200);
 */
export async function decideAs(
  reviewUrl: string,
  username: string,
  decision: GateDecision,
  reason = `Decided by ${username} (sandbox script)`,
  options: { hotfix?: boolean } = {},
): Promise<number> {
  const browser = new BrowserSession();
  await browser.signIn(reviewUrl, username);
  return (await browser.decide(reviewUrl, decision, reason, options.hotfix ? { hotfix: '1' } : {})).status;
}
