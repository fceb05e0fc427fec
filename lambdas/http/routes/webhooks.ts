import { Hono } from 'hono';
import { ingestDelivery } from '../../domain/webhook/ingest';
import {
  BadRequestError,
  PayloadTooLargeError,
  ShipgateError,
  UnsupportedMediaTypeError,
} from '../../shared/errors';
import { executionUrl, publicUrl } from '../../shared/links';

/**
 * Largest webhook body accepted: 4 MiB. GitLab caps bodies at 25 MB, but the body reaches this Lambda inside
 * API Gateway's event, and Lambda's synchronous invocation payload is at most 6 MB (6,291,456 bytes). API
 * Gateway base64-encodes a body it does not take for text, growing it by a third: 4 MiB becomes 5,592,408
 * bytes, which leaves about 680 KB for headers and the request context. A larger limit would never be
 * reached: the invocation would fail first and API Gateway answer 500 instead of this route's 413 (a test
 * sends the limit + 1 byte through the emulated HTTP API). The events Shipgate reads (pipelines) are tens of
 * kilobytes. Checked on `Content-Length` and on the bytes actually read.
 */
export const WEBHOOK_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * Reads a request body, refusing it once it exceeds `limit` bytes (announced or actual).
 *
 * With a `Content-Length` within the limit the body is read in one piece with `arrayBuffer()` (on
 * `@hono/node-server` a direct read of the socket, several times faster than a web stream; Node's HTTP parser
 * stops at the declared length, and the Lambda adapter's body is already in memory), then its actual length is
 * checked again. Without one (chunked transfer) it is streamed and refused as soon as the bytes read pass the
 * limit, so no more than `limit` bytes are buffered.
 * @throws PayloadTooLargeError over the limit; BadRequestError for an unparseable Content-Length.
 */
export async function readBodyWithLimit(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  if (declared !== null) {
    if (!/^\d+$/.test(declared.trim())) {
      throw new BadRequestError(`Content-Length "${declared.slice(0, 30)}" is not a number of bytes`);
    }
    if (Number(declared) > limit) {
      throw new PayloadTooLargeError(
        `Body of ${declared} bytes is over Shipgate's webhook limit of ${limit} bytes (4 MiB); GitLab pipeline events are far smaller.`,
      );
    }
    // Not `req.body`: on @hono/node-server touching it turns the lightweight request into a web stream.
    const body = new Uint8Array(await req.arrayBuffer());
    if (body.byteLength > limit) {
      throw new PayloadTooLargeError(
        `Body is over Shipgate's webhook limit of ${limit} bytes (4 MiB; received ${body.byteLength} bytes although Content-Length said ${declared}).`,
      );
    }
    return body;
  }
  return readStreamWithLimit(req, limit);
}

/** Streams a body without a declared length, stopping as soon as it passes `limit` bytes. */
async function readStreamWithLimit(req: Request, limit: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new PayloadTooLargeError(
        `Body is over Shipgate's webhook limit of ${limit} bytes (4 MiB; read ${size} bytes before stopping).`,
      );
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Answer GitLab within this many milliseconds whatever happens downstream: its webhook timeout is 10 s, and a
 * timed-out delivery counts as a failure that nobody sees explained. StartExecution has its own 6 s budget;
 * this bounds everything else (DynamoDB, Secrets Manager).
 */
export const WEBHOOK_DEADLINE_MS = 8500;

/** The delivery could not be processed in time; resending it is safe (it starts the same release). */
export class DeliveryTimeoutError extends ShipgateError {
  static override readonly errorName: string = 'DeliveryTimeoutError';
  override readonly status: number = 503;
}

/**
 * Resolves like `work`, or rejects with {@link DeliveryTimeoutError} after `ms` milliseconds.
 * @example await withDeadline(ingestDelivery(delivery), WEBHOOK_DEADLINE_MS)
 */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DeliveryTimeoutError(
            `Shipgate could not process the delivery within ${ms} ms (AWS is slow or unreachable). Resend it from GitLab; a resend starts the same release, never a second one.`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `POST /webhooks/gitlab`: GitLab deliveries (contract in the design brief). 202 `{release, execution,
 * executionArn, links}` when a release started (a redelivery answers the same and starts nothing new),
 * 200 `{ignored}` for authentic deliveries that trigger nothing, 400/401/405/409/413/415 otherwise.
 */
export const webhookRoutes = new Hono();

webhookRoutes.post('/gitlab', async (c) => {
  const contentType = c.req.header('content-type');
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new UnsupportedMediaTypeError(
      `Content-Type must be application/json (as GitLab sends); received ${contentType ? `"${contentType.slice(0, 80)}"` : 'none'}.`,
    );
  }
  const bytes = await readBodyWithLimit(c.req.raw, WEBHOOK_BODY_LIMIT);
  const result = await withDeadline(
    ingestDelivery({ rawBody: utf8.decode(bytes), header: (name) => c.req.header(name) }),
    WEBHOOK_DEADLINE_MS,
  );
  if (result.outcome === 'ignored') {
    return c.json({ ignored: result.reason }, 200);
  }
  if (result.replayed) c.header('X-Shipgate-Replayed', 'true');
  return c.json(
    {
      release: result.release,
      execution: result.execution,
      executionArn: result.executionArn,
      links: {
        release: `${publicUrl()}/api/releases/${encodeURIComponent(result.release)}`,
        execution: executionUrl(result.executionArn),
      },
    },
    202,
  );
});

webhookRoutes.all('/gitlab', (c) =>
  c.json(
    { error: `Method ${c.req.method} is not allowed on /webhooks/gitlab; GitLab delivers with POST.` },
    405,
    {
      Allow: 'POST',
    },
  ),
);
