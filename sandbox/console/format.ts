/** Small formatting helpers shared by the console pages. */

/** Escapes text for HTML and SVG. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `2026-12-03 10:21:33Z` from epoch seconds ('' for none). */
export function time(s: number | undefined): string {
  return s
    ? new Date(s * 1000)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '';
}

/** A duration people read: `850 ms`, `12 s`, `4 min 05 s`, `2 h 10 min`. */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A status badge (`<span class="badge succeeded">SUCCEEDED</span>`). */
export function badge(status: string, label = status): string {
  return `<span class="badge ${esc(status.toLowerCase().replace(/\s+/g, '_'))}">${esc(label)}</span>`;
}

/**
 * The readable text of a Step Functions `cause`: a Lambda error's cause is the JSON
 * `{"errorType","errorMessage","trace":[…]}` — only its `errorMessage` is for people; a stack trace never is.
 * Plain-text causes lose any `    at …` stack lines.
 */
export function readableCause(cause: string | undefined): string {
  if (!cause) return '';
  const text = cause.trim();
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { errorMessage?: unknown; message?: unknown; Cause?: unknown };
      const m = parsed.errorMessage ?? parsed.message ?? parsed.Cause;
      if (typeof m === 'string') return stripStack(m);
      return '';
    } catch {
      // not JSON: plain text
    }
  }
  return stripStack(text);
}

function stripStack(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s+at\s/.test(l) && !/^\s*at .+\(.+:\d+:\d+\)\s*$/.test(l))
    .join('\n')
    .trim();
}

/** Pretty JSON of a JSON string (the string itself when it is not JSON). */
export function prettyJson(text: string | undefined): string {
  if (text === undefined) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Hash link to an execution page. */
export function executionHref(arn: string, params: Record<string, string> = {}): string {
  const q = new URLSearchParams(params).toString();
  return `#/executions/${encodeURIComponent(arn)}${q ? `?${q}` : ''}`;
}

/** Hash link to an environment page. */
export function environmentHref(name: string): string {
  return `#/environments/${encodeURIComponent(name)}`;
}
