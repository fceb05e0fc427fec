import type { Browser } from 'playwright-core';
import { decideAs } from '../../sandbox/approve-link';
import { tempDir, waitFor } from '../integ/sandbox/support';
import { chromiumAvailable, launchChromium } from './browser';
import { startConsoleSandbox, type ConsoleSandbox } from './scenarios';

const describeIfChromium = chromiumAvailable('test/e2e/sign-in.test.ts') ? describe : describe.skip;

interface Pending {
  executionArn: string;
  environment: string;
  reviewUrl?: string;
  approvers?: { approver: string; voted: boolean }[];
}

/**
 * Issue 28: one browser session cannot vote as two people. `shipgate dev` with its GitLab (the real
 * oidc-provider) and headless Chromium: sign in as Alice through the provider's sign-in page and approve
 * production; then, from the same browser, every way to make a second vote count for Bob records nothing.
 */
describeIfChromium('review pages in a browser: one person, one vote (headless Chromium)', () => {
  const tmp = tempDir();
  let sandbox: ConsoleSandbox;
  let browser: Browser;
  let production: Pending;

  const pending = async (executionArn: string, environment: string) =>
    waitFor(
      `the ${environment} approval`,
      async () => {
        const { approvals } = (await (await fetch(`${sandbox.url}/_sandbox/api/approvals`)).json()) as {
          approvals: Pending[];
        };
        return approvals.find(
          (a) => a.executionArn === executionArn && a.environment === environment && a.reviewUrl,
        );
      },
      60000,
    );

  beforeAll(async () => {
    sandbox = await startConsoleSandbox(tmp.dir);
    const arn = await sandbox.run('waiting');
    const staging = await pending(arn, 'staging');
    expect(await decideAs(staging.reviewUrl!, 'carol', 'approve', 'staging is fine')).toBe(200);
    production = await pending(arn, 'production');
    browser = await launchChromium();
  }, 240000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    tmp.cleanup();
  });

  it('signs in as alice through the GitLab provider and approves; nothing makes a vote count for bob', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const url = production.reviewUrl!;

    // The review link, as a visitor: what is being approved, and "Sign in with GitLab" instead of a form.
    await page.goto(url);
    expect(await page.locator('form[method="post"] button[name="decision"]').count()).toBe(0);
    await page.click('a.button:has-text("Sign in with GitLab to decide")');

    // The sandbox's GitLab: its users are the config's approvers.
    await page.waitForSelector('button[data-username="alice"]');
    expect(
      await page
        .locator('button[data-username]')
        .evaluateAll((b) => b.map((x) => x.getAttribute('data-username'))),
    ).toEqual(['alice', 'bob', 'carol']);
    await page.click('button[data-username="alice"]');

    // Back on the review page, signed in: the HttpOnly, Secure, SameSite=Lax session cookie was accepted over
    // http://127.0.0.1 (a secure context for Chromium) and is scoped to this approval.
    await page.waitForSelector('text=Signed in as');
    expect(await page.textContent('body')).toContain('Signed in as Alice (GitLab @alice)');
    const cookies = await context.cookies(url);
    const session = cookies.find((c) => c.name === 'sg_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
    expect(session?.path).toBe(new URL(url).pathname);
    expect(await page.evaluate(() => document.cookie)).not.toContain('sg_session');

    await page.fill('#reason', 'Reviewed the diff');
    await page.click('button[name="decision"][value="approve"]');
    await page.waitForSelector('text=1 more “approve” is needed');

    // Same browser, trying to vote for bob: the page offers no second vote.
    await page.goto(url);
    expect(await page.textContent('body')).toContain('You already decided');
    expect(await page.locator('button[name="decision"]').count()).toBe(0);

    // A hand-made form on the page naming bob (with this session's CSRF token) still votes as alice: 409.
    // (The page's CSP forbids scripts from fetching; a form it builds may post to the page's own origin.)
    const submitForm = async (fields: Record<string, string>) => {
      const answer = page.waitForResponse((r) => r.url() === url && r.request().method() === 'POST');
      await page.evaluate((f) => {
        const form = document.createElement('form');
        form.method = 'post';
        const csrf = document.querySelector('input[name="csrf"]') as HTMLInputElement | null;
        for (const [name, value] of Object.entries({ ...(csrf ? { csrf: csrf.value } : {}), ...f })) {
          const input = document.createElement('input');
          input.type = 'hidden';
          input.name = name;
          input.value = value;
          form.appendChild(input);
        }
        document.body.appendChild(form);
        form.submit();
      }, fields);
      const res = await answer;
      return { status: res.status(), text: await res.text() };
    };
    const forged = await submitForm({ decision: 'approve', approver: 'bob', username: 'bob' });
    expect(forged.status).toBe(409);
    expect(forged.text).toContain('Alice already voted');

    // Bob's old personal link leads to the same page, still signed in as alice.
    await page.goto(`${url}/bob?exp=9999999999&sig=${'A'.repeat(43)}`);
    expect(page.url()).toBe(url);
    expect(await page.textContent('body')).toContain('Signed in as Alice (GitLab @alice)');

    // Without the session (cookies cleared), a post is refused: nobody is signed in.
    await page.goto(url);
    await context.clearCookies();
    const anonymous = await submitForm({ decision: 'approve' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).toContain('nothing was recorded');

    const after = await pending(production.executionArn, 'production');
    expect(after.approvers?.map((a) => [a.approver, a.voted])).toEqual([
      ['alice', true],
      ['bob', false],
      ['carol', false],
    ]);
    await context.close();
  }, 120000);
});
