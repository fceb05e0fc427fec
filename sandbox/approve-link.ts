import { DemoError } from './demo-error';

/** Reads a field value from simple HTML `<input>` elements. */
function hiddenInputs(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    const tag = m[0];
    if (!/type\s*=\s*["']?hidden/i.test(tag)) continue;
    const name = /name\s*=\s*["']([^"']*)["']/i.exec(tag)?.[1];
    const value = /value\s*=\s*["']([^"']*)["']/i.exec(tag)?.[1] ?? '';
    if (name)
      out[name] = value
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>');
  }
  return out;
}

/**
 * Approves through a personal link the way a person does: opens the confirm page, then submits its form
 * with `decision=approve`. Returns the HTTP status of the vote.
 */
export async function approveViaLink(link: string, reason = 'Approved by the sandbox demo'): Promise<number> {
  const page = await fetch(link, { redirect: 'manual' });
  const html = await page.text();
  if (!page.ok)
    throw new DemoError(
      `The confirm page ${new URL(link).pathname} answered ${page.status}: ${html.slice(0, 200)}`,
    );
  const action = /<form\b[^>]*action\s*=\s*["']([^"']*)["']/i.exec(html)?.[1]?.replace(/&amp;/g, '&');
  const target = action ? new URL(action, link).toString() : link;
  const body = new URLSearchParams({ ...hiddenInputs(html), decision: 'approve', reason });
  const res = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(link).origin },
    body,
    redirect: 'manual',
  });
  await res.text();
  return res.status;
}

/**
 * Decides a pause through a personal pause link as a person does: opens the page, then submits its form with
 * `decision=continue` or `decision=rollback` (and an optional reason). Returns the HTTP status.
 */
export async function decidePauseViaLink(
  link: string,
  decision: 'continue' | 'rollback',
  reason = 'Decided by the sandbox demo',
): Promise<number> {
  const page = await fetch(link, { redirect: 'manual' });
  const html = await page.text();
  if (!page.ok) {
    throw new DemoError(
      `The pause page ${new URL(link).pathname} answered ${page.status}: ${html.slice(0, 200)}`,
    );
  }
  const res = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(link).origin },
    body: new URLSearchParams({ decision, reason }),
    redirect: 'manual',
  });
  await res.text();
  return res.status;
}
