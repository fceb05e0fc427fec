import { PayloadTooLargeError, UpstreamTimeoutError, UpstreamUnavailableError } from './errors';

// Hop-by-hop headers (RFC 9110 §7.6.1) plus those the fetch client recomputes.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

function copyHeaders(from: Headers, drop: Set<string>): Headers {
  const out = new Headers();
  const extra = (from.get('connection') ?? '').split(',').map((h) => h.trim().toLowerCase());
  from.forEach((value, name) => {
    if (!drop.has(name) && !extra.includes(name)) out.append(name, value);
  });
  return out;
}

/**
 * Joins an upstream base URL, which may carry a path prefix (e.g. `http://alb.internal/inventory-app` behind
 * a prefix-stripping load balancer rule), with a request path and query string.
 *
 * @example upstreamUrl('http://alb/inventory-app', '/api/movies?title=x') // http://alb/inventory-app/api/movies?title=x
 */
export function upstreamUrl(base: string, pathAndQuery: string): URL {
  const b = new URL(base);
  return new URL(`${b.origin}${b.pathname.replace(/\/+$/, '')}${pathAndQuery}`);
}

/** Options of {@link proxyRequest}. */
export interface ProxyOptions {
  /** Base URL of the upstream, e.g. `http://inventory-app:8080`. */
  upstream: string;
  timeoutMs: number;
  maxBodyBytes: number;
  /** Name used in error messages. */
  upstreamName: string;
  /** Forwarded as `X-Request-Id` so the upstream logs the same id. */
  requestId?: string;
}

/**
 * Forwards `req` to the same path and query string on `upstream`, passing method, headers (minus
 * hop-by-hop ones), body and the upstream's status, headers and body back unchanged.
 * Throws {@link UpstreamUnavailableError} when the upstream cannot be reached, {@link UpstreamTimeoutError}
 * when it is too slow, {@link PayloadTooLargeError} for oversized bodies.
 *
 * @example return proxyRequest(c.req.raw, { upstream: 'http://inventory-app:8080', timeoutMs: 10000, ... });
 */
export async function proxyRequest(req: Request, opts: ProxyOptions): Promise<Response> {
  const incoming = new URL(req.url);
  const target = upstreamUrl(opts.upstream, incoming.pathname + incoming.search);
  let body: ArrayBuffer | undefined;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const declared = Number(req.headers.get('content-length') ?? 0);
    if (declared > opts.maxBodyBytes) throw tooLarge(declared, opts.maxBodyBytes);
    body = await req.arrayBuffer();
    if (body.byteLength > opts.maxBodyBytes) throw tooLarge(body.byteLength, opts.maxBodyBytes);
  }
  const headers = copyHeaders(req.headers, HOP_BY_HOP);
  headers.set('x-forwarded-host', incoming.host);
  headers.set('x-forwarded-proto', incoming.protocol.replace(':', ''));
  if (opts.requestId) headers.set('x-request-id', opts.requestId);
  let res: Response;
  try {
    res = await fetch(target, {
      method: req.method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      throw new UpstreamTimeoutError(
        `${opts.upstreamName} did not answer ${req.method} ${incoming.pathname} within ${opts.timeoutMs} ms.`,
        { cause: err },
      );
    }
    const why = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
    throw new UpstreamUnavailableError(`${opts.upstreamName} is unreachable at ${target.host} (${why}).`, {
      cause: err,
    });
  }
  // fetch already decoded any content-encoding, so those headers no longer describe the body.
  const out = copyHeaders(res.headers, new Set([...HOP_BY_HOP, 'content-encoding']));
  return new Response(req.method === 'HEAD' ? null : res.body, {
    status: res.status,
    statusText: res.statusText,
    headers: out,
  });
}

function tooLarge(size: number, max: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `The request body is ${size} bytes; the limit is ${max} bytes (MAX_BODY_BYTES).`,
  );
}
