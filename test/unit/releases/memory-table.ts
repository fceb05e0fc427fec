import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/**
 * A tiny in-memory stand-in for the Shipgate table behind an `aws-sdk-client-mock` of the document client.
 * It understands exactly the expressions the release store and the delivery store send (conditional put,
 * get, gsi1 query newest first, SET/REMOVE updates with `attribute_exists` / `IN` conditions), so route
 * tests can follow state across requests. Real DynamoDB semantics are covered by the dynalite store test.
 */
export type Item = Record<string, unknown>;

type DocStub = AwsClientStub<DynamoDBDocumentClient>;

const fail = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

function resolveName(token: string, names: Record<string, string> = {}): string {
  return token.startsWith('#') ? names[token] : token;
}

function checkCondition(
  condition: string | undefined,
  item: Item | undefined,
  names: Record<string, string> = {},
  values: Record<string, unknown> = {},
): boolean {
  if (!condition) return true;
  return condition.split(/\s+AND\s+/).every((part) => {
    let m = /^attribute_not_exists\((#?\w+)\)$/.exec(part.trim());
    if (m) return !item || item[resolveName(m[1], names)] === undefined;
    m = /^attribute_exists\((#?\w+)\)$/.exec(part.trim());
    if (m) return !!item && item[resolveName(m[1], names)] !== undefined;
    m = /^(#?\w+) IN \(([^)]*)\)$/.exec(part.trim());
    if (m) {
      const allowed = m[2].split(',').map((v) => values[v.trim()]);
      return !!item && allowed.includes(item[resolveName(m[1], names)]);
    }
    throw new Error(`memory table: unsupported condition "${part}"`);
  });
}

/** Installs the in-memory table on a document-client mock and returns its items (keyed `pk|sk`). */
export function installMemoryTable(ddbMock: DocStub): Map<string, Item> {
  const items = new Map<string, Item>();
  const keyOf = (k: Item) => `${String(k.pk)}|${String(k.sk)}`;
  const copy = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

  ddbMock.on(GetCommand).callsFake((input: { Key: Item }) => ({ Item: copy(items.get(keyOf(input.Key))) }));
  ddbMock
    .on(PutCommand)
    .callsFake(
      (input: {
        Item: Item;
        ConditionExpression?: string;
        ExpressionAttributeNames?: Record<string, string>;
      }) => {
        const existing = items.get(keyOf(input.Item));
        if (!checkCondition(input.ConditionExpression, existing, input.ExpressionAttributeNames))
          throw fail();
        items.set(keyOf(input.Item), copy(input.Item));
        return {};
      },
    );
  ddbMock
    .on(QueryCommand)
    .callsFake(
      (input: {
        ExpressionAttributeValues: Record<string, unknown>;
        Limit?: number;
        ScanIndexForward?: boolean;
        ExclusiveStartKey?: Item;
      }) => {
        const wanted = input.ExpressionAttributeValues[':g'];
        const found = [...items.values()]
          .filter((i) => i.gsi1pk === wanted)
          .sort((a, b) => String(a.gsi1sk).localeCompare(String(b.gsi1sk)));
        if (input.ScanIndexForward === false) found.reverse();
        const start = input.ExclusiveStartKey
          ? found.findIndex((i) => keyOf(i) === keyOf(input.ExclusiveStartKey!)) + 1
          : 0;
        const page = found.slice(start, start + (input.Limit ?? found.length));
        const last = page[page.length - 1];
        const more = start + page.length < found.length;
        return {
          Items: copy(page),
          ...(more && last
            ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk, gsi1pk: last.gsi1pk, gsi1sk: last.gsi1sk } }
            : {}),
        };
      },
    );
  ddbMock
    .on(UpdateCommand)
    .callsFake(
      (input: {
        Key: Item;
        UpdateExpression: string;
        ConditionExpression?: string;
        ExpressionAttributeNames?: Record<string, string>;
        ExpressionAttributeValues?: Record<string, unknown>;
      }) => {
        const names = input.ExpressionAttributeNames ?? {};
        const values = input.ExpressionAttributeValues ?? {};
        const existing = items.get(keyOf(input.Key));
        if (!checkCondition(input.ConditionExpression, existing, names, values)) throw fail();
        const item: Item = copy(existing) ?? { ...input.Key };
        const [, setPart = '', removePart = ''] =
          /^SET (.*?)(?: REMOVE (.*))?$/.exec(input.UpdateExpression) ?? [];
        for (const assignment of setPart.split(/,\s*/).filter(Boolean)) {
          const [path, value] = assignment.split(/\s*=\s*/);
          const segments = path.split('.').map((s) => resolveName(s, names));
          let node = item;
          for (const s of segments.slice(0, -1)) node = (node[s] ??= {}) as Item;
          node[segments[segments.length - 1]] = copy(values[value]);
        }
        for (const name of removePart.split(/,\s*/).filter(Boolean)) delete item[resolveName(name, names)];
        items.set(keyOf(input.Key), item);
        return { Attributes: copy(item) };
      },
    );
  return items;
}
