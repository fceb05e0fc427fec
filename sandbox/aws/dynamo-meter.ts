import { crc32 } from 'node:zlib';
import type { UsageMeter } from '../meter';

/**
 * Metering of the DynamoDB requests the endpoint forwards to dynalite: each request asks for
 * `ReturnConsumedCapacity: TOTAL` (unless its caller did), the units dynalite reports are counted, and the
 * field is taken out of the answer again (with its `x-amz-crc32`, which the SDK checks, recomputed), so the
 * caller gets exactly what it asked for. A conditional write that fails consumes write units in DynamoDB
 * too, but dynalite's error carries none: it is counted as one unit (an item of up to 1 KB), as estimated.
 */

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/** The request body to send on: `ReturnConsumedCapacity: TOTAL` added when the caller did not ask. */
export function meteredRequest(operation: string, body: Buffer): { body: Buffer; injected: boolean } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (parsed.ReturnConsumedCapacity && parsed.ReturnConsumedCapacity !== 'NONE') {
      return { body, injected: false };
    }
    if (!/Item|Query|Scan/.test(operation)) return { body, injected: false };
    return {
      body: Buffer.from(JSON.stringify({ ...parsed, ReturnConsumedCapacity: 'TOTAL' })),
      injected: true,
    };
  } catch {
    return { body, injected: false };
  }
}

/** Counts the units of one answer; returns the body and headers to send the caller. */
export function meteredResponse(
  meter: UsageMeter,
  operation: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  injected: boolean,
): { headers: Record<string, string | string[] | undefined>; body: Buffer } {
  if (!/Item|Query|Scan/.test(operation)) return { headers, body };
  const read = READS.has(operation);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { headers, body };
  }
  const consumed = parsed.ConsumedCapacity as
    { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;
  const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
    (sum, c) => sum + (c.CapacityUnits ?? 0),
    0,
  );
  if (status === 200 && consumed)
    meter.dynamoDb(read ? { read: units, write: 0 } : { read: 0, write: units });
  else if (!read && String(parsed.__type ?? '').includes('ConditionalCheckFailed')) {
    meter.dynamoDb({ read: 0, write: 1 }, true);
  } else meter.dynamoDb(read ? { read: 0.5, write: 0 } : { read: 0, write: 1 }, true);
  if (!injected || !consumed) return { headers, body };
  delete parsed.ConsumedCapacity;
  const out = Buffer.from(JSON.stringify(parsed));
  return {
    headers: { ...headers, 'content-length': String(out.length), 'x-amz-crc32': String(crc32(out)) },
    body: out,
  };
}
