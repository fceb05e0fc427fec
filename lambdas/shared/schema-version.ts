import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Schema version of Shipgate's table items (issue 31). Every item written through the shared client carries
 * `sv` = SCHEMA_VERSION; items written before versions existed have none and count as version 0, today's
 * shape. The functions that answer parked releases (the HTTP app, `rollout-events`, `execution-events`, the
 * reconciler) always run the newest build, so they read items an older build wrote: a reader accepts every
 * version up to its own and refuses a newer one (an older build reading items of a newer one, e.g. after a
 * rollback of Shipgate) with `SchemaVersionError` instead of misreading them.
 *
 * Rule: a change to an item's shape raises SCHEMA_VERSION, keeps reading every older version, and adds a
 * fixture of the new version's items under test/fixtures/table-items/ (docs/architecture.md, "Upgrading
 * Shipgate").
 *
 * The version is a storage concern, so it lives in one middleware on the document client
 * (`withSchemaVersion`) rather than in each store: every Put and Update (also inside TransactWriteItems and
 * BatchWriteItem) sets it, and every item read back (Get, Query, Scan, BatchGet, TransactGet, ReturnValues)
 * is checked and handed to the store without it, so stores and API views never see `sv`.
 */
export const SCHEMA_VERSION = 1;

/** The attribute holding an item's schema version. */
export const SCHEMA_VERSION_ATTRIBUTE = 'sv';

/** An item of a schema version newer than this code knows. */
export class SchemaVersionError extends Error {
  override readonly name = 'SchemaVersionError';
  constructor(
    readonly kind: string,
    readonly key: string,
    readonly version: unknown,
  ) {
    super(
      `table item ${key} (${kind}) has schema version ${String(version)}, but this Shipgate reads versions ` +
        `0 to ${SCHEMA_VERSION}: it was written by a newer Shipgate; deploy that version (or newer) again`,
    );
  }
}

type Item = Record<string, unknown>;
/** Raw `AttributeValue` maps (the low-level client) or plain values (the document client). */
const isRaw = (item: Item) => typeof item.pk === 'object' && item.pk !== null;
const str = (v: unknown): string =>
  typeof v === 'object' && v !== null ? String((v as { S?: unknown }).S ?? '') : String(v ?? '');

/** The item kind, from its partition key (`RELEASE#…` → `RELEASE`). */
export function itemKind(item: Item): string {
  return str(item.pk).split('#')[0] || 'unknown';
}

/**
 * The item as a store may use it: without `sv`.
 * @throws SchemaVersionError when the item is of a newer (or not a valid) schema version.
 */
export function readVersioned<T extends Item>(item: T): T {
  if (!(SCHEMA_VERSION_ATTRIBUTE in item)) return item;
  const { [SCHEMA_VERSION_ATTRIBUTE]: raw, ...rest } = item;
  // A raw number ({ N: "1" }) also where the item has no raw `pk` (UPDATED_NEW attributes, projections).
  const version =
    isRaw(item) || (typeof raw === 'object' && raw !== null && 'N' in raw)
      ? Number((raw as { N?: string })?.N)
      : raw;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > SCHEMA_VERSION) {
    throw new SchemaVersionError(itemKind(item), `${str(item.pk)}/${str(item.sk)}`, version);
  }
  return rest as T;
}

/** The item to write: with `sv` = SCHEMA_VERSION. */
export function writeVersioned<T extends Item>(item: T): T {
  return {
    ...item,
    [SCHEMA_VERSION_ATTRIBUTE]: isRaw(item) ? { N: String(SCHEMA_VERSION) } : SCHEMA_VERSION,
  };
}

const SV_NAME = '#shipgateSv';
const SV_VALUE = ':shipgateSv';

/** An UpdateItem input that also sets `sv` (added to the SET clause, or as one). */
function versionUpdate(update: Item): Item {
  const expression = update.UpdateExpression;
  if (typeof expression !== 'string') return update;
  const assign = `${SV_NAME} = ${SV_VALUE}`;
  const setClause = /(^|[^#:\w])SET\s+/i;
  const next = setClause.test(expression)
    ? expression.replace(setClause, (m) => `${m}${assign}, `)
    : `SET ${assign} ${expression}`;
  const raw = update.Key !== undefined && isRaw(update.Key as Item);
  return {
    ...update,
    UpdateExpression: next,
    ExpressionAttributeNames: {
      ...(update.ExpressionAttributeNames as Item),
      [SV_NAME]: SCHEMA_VERSION_ATTRIBUTE,
    },
    ExpressionAttributeValues: {
      ...(update.ExpressionAttributeValues as Item),
      [SV_VALUE]: raw ? { N: String(SCHEMA_VERSION) } : SCHEMA_VERSION,
    },
  };
}

/** The request input with `sv` on every item it writes. */
export function versionWrites(input: Item): Item {
  const out: Item = { ...input };
  if (out.Item) out.Item = writeVersioned(out.Item as Item);
  if (out.UpdateExpression) Object.assign(out, versionUpdate(out));
  if (Array.isArray(out.TransactItems)) {
    out.TransactItems = (out.TransactItems as Item[]).map((t) => ({
      ...t,
      ...(t.Put ? { Put: versionWrites(t.Put as Item) } : {}),
      ...(t.Update ? { Update: versionUpdate(t.Update as Item) } : {}),
    }));
  }
  if (out.RequestItems && typeof out.RequestItems === 'object') {
    out.RequestItems = Object.fromEntries(
      Object.entries(out.RequestItems as Record<string, unknown>).map(([table, requests]) => [
        table,
        Array.isArray(requests)
          ? requests.map((r: Item) =>
              r.PutRequest
                ? { ...r, PutRequest: { Item: writeVersioned((r.PutRequest as Item).Item as Item) } }
                : r,
            )
          : requests,
      ]),
    );
  }
  return out;
}

/** The response with every item checked and without `sv`. */
export function versionReads(output: Item): Item {
  const out: Item = { ...output };
  if (out.Item) out.Item = readVersioned(out.Item as Item);
  if (out.Attributes) out.Attributes = readVersioned(out.Attributes as Item);
  if (Array.isArray(out.Items)) out.Items = (out.Items as Item[]).map(readVersioned);
  if (Array.isArray(out.Responses)) {
    out.Responses = (out.Responses as Item[]).map((r) =>
      r.Item ? { ...r, Item: readVersioned(r.Item as Item) } : r,
    );
  } else if (out.Responses && typeof out.Responses === 'object') {
    out.Responses = Object.fromEntries(
      Object.entries(out.Responses as Record<string, Item[]>).map(([t, items]) => [
        t,
        items.map(readVersioned),
      ]),
    );
  }
  return out;
}

/**
 * Adds the schema-version middleware to `client` (its stack is shared with the low-level client it wraps)
 * and returns it. Idempotent.
 * @example export const ddb = withSchemaVersion(DynamoDBDocumentClient.from(dynamo));
 */
export function withSchemaVersion<C extends Pick<DynamoDBDocumentClient, 'middlewareStack'>>(client: C): C {
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next({ ...args, input: versionWrites(args.input as Item) });
      return { ...result, output: versionReads(result.output as unknown as Item) as typeof result.output };
    },
    { step: 'initialize', name: 'shipgateSchemaVersion', override: true },
  );
  return client;
}
