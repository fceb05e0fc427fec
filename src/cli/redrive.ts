import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

const USAGE = `Usage: shipgate redrive [--dry-run] [--max <n>] [--queue-url <url>]

Replays the events that landed in the on-failure destination of Shipgate's asynchronously invoked functions
(rollout-events, execution-events, manual-rollback, reconcile): each record's request payload is sent again
to the function it failed in (Lambda Invoke, RequestResponse). A record whose replay succeeds is deleted; one
that fails again stays in the queue and is reported. Every handler is idempotent, so a replay of something
already repaired changes nothing.

--queue-url  the queue (default: SHIPGATE_FAILED_EVENTS_QUEUE_URL, the stack output FailedEventsQueueUrl;
             without it, the running sandbox's queue on http://127.0.0.1:$SHIPGATE_AWS_PORT (default 4566))
--dry-run    list the records without replaying them
--max        replay at most this many records (default 100)
`;

/** One async invocation record (Lambda's on-failure destination format). */
interface InvocationRecord {
  timestamp?: string;
  requestContext?: { functionArn?: string; condition?: string; approximateInvokeCount?: number };
  requestPayload?: unknown;
  responsePayload?: { errorType?: string; errorMessage?: string };
}

/** What became of one record. */
export interface RedriveOutcome {
  messageId: string;
  function: string;
  error: string;
  result: 'replayed' | 'failed-again' | 'listed' | 'unreadable';
  detail?: string;
}

/** Clients and queue of {@link redrive}. */
export interface RedriveDeps {
  sqs: Pick<SQSClient, 'send'>;
  lambda: Pick<LambdaClient, 'send'>;
  queueUrl: string;
}

/** The function name of a record's `functionArn` (`…:function:<name>[:qualifier]`). */
function functionOf(record: InvocationRecord): string | undefined {
  const m = /:function:([^:]+)/.exec(record.requestContext?.functionArn ?? '');
  return m?.[1];
}

/**
 * Drains the queue once: each record is replayed (or listed with `dryRun`) at most once per run.
 * @example const outcomes = await redrive({ sqs, lambda, queueUrl }, { max: 10 });
 */
export async function redrive(
  deps: RedriveDeps,
  options: { dryRun?: boolean; max?: number } = {},
): Promise<RedriveOutcome[]> {
  const max = options.max ?? 100;
  const seen = new Set<string>();
  const outcomes: RedriveOutcome[] = [];
  while (outcomes.length < max) {
    const out = await deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deps.queueUrl,
        MaxNumberOfMessages: Math.min(10, max - outcomes.length),
        // Long enough for a replay; a record that fails again becomes visible after it.
        VisibilityTimeout: options.dryRun ? 1 : 300,
        WaitTimeSeconds: 1,
      }),
    );
    const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId!);
      let record: InvocationRecord;
      try {
        record = JSON.parse(message.Body ?? '') as InvocationRecord;
      } catch {
        outcomes.push({ messageId: message.MessageId!, function: '?', error: '?', result: 'unreadable' });
        continue;
      }
      const fn = functionOf(record);
      const error =
        `${record.responsePayload?.errorType ?? 'Error'}: ${record.responsePayload?.errorMessage ?? ''}`.slice(
          0,
          300,
        );
      if (!fn) {
        outcomes.push({ messageId: message.MessageId!, function: '?', error, result: 'unreadable' });
        continue;
      }
      if (options.dryRun) {
        outcomes.push({ messageId: message.MessageId!, function: fn, error, result: 'listed' });
        continue;
      }
      const invoked = await deps.lambda.send(
        new InvokeCommand({
          FunctionName: fn,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(record.requestPayload ?? {})),
        }),
      );
      const answer = invoked.Payload ? Buffer.from(invoked.Payload).toString('utf8') : '';
      if (invoked.FunctionError) {
        outcomes.push({
          messageId: message.MessageId!,
          function: fn,
          error,
          result: 'failed-again',
          detail: answer.slice(0, 300),
        });
        continue;
      }
      await deps.sqs.send(
        new DeleteMessageCommand({ QueueUrl: deps.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
      outcomes.push({
        messageId: message.MessageId!,
        function: fn,
        error,
        result: 'replayed',
        detail: answer.slice(0, 300),
      });
    }
  }
  return outcomes;
}

/** `shipgate redrive`. Exit codes: 0 all replayed (or nothing to do), 1 some failed again, 2 usage. */
export async function run(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    stdout?: (s: string) => void;
    stderr?: (s: string) => void;
    deps?: RedriveDeps;
  } = {},
): Promise<number> {
  const out = options.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = options.stderr ?? ((s: string) => void process.stderr.write(s));
  const env = options.env ?? process.env;
  let values: { 'dry-run'?: boolean; max?: string; 'queue-url'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'dry-run': { type: 'boolean' },
        max: { type: 'string' },
        'queue-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    err(`shipgate redrive: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const max = values.max === undefined ? 100 : Number(values.max);
  if (!Number.isInteger(max) || max < 1 || max > 10_000) {
    err(`shipgate redrive: --max must be an integer from 1 to 10000; received "${values.max}"\n`);
    return 2;
  }
  let deps = options.deps;
  if (!deps) {
    const queueUrl = values['queue-url'] ?? env.SHIPGATE_FAILED_EVENTS_QUEUE_URL;
    if (queueUrl) {
      const region = /sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(queueUrl)?.[1] ?? env.AWS_REGION;
      deps = { sqs: new SQSClient({ region }), lambda: new LambdaClient({ region }), queueUrl };
    } else {
      // The running sandbox, with the keys it gives this CLI in Shipgate's account (sandbox/aws/accounts.ts).
      const endpoint = env.AWS_ENDPOINT_URL ?? `http://127.0.0.1:${env.SHIPGATE_AWS_PORT ?? 4566}`;
      const config = {
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIASHIPGATECLI00000', secretAccessKey: 'shipgate-cli-not-a-secret' },
        maxAttempts: 2,
      };
      const sqs = new SQSClient(config);
      let url: string | undefined;
      try {
        url = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'shipgate-failed-events' }))).QueueUrl;
      } catch (e) {
        err(
          `shipgate redrive: no queue given and no sandbox answering at ${endpoint} (${(e as Error).name}: ${(e as Error).message}). Set SHIPGATE_FAILED_EVENTS_QUEUE_URL (stack output FailedEventsQueueUrl) or start the sandbox.\n`,
        );
        return 1;
      }
      deps = { sqs, lambda: new LambdaClient(config), queueUrl: url! };
    }
  }
  const outcomes = await redrive(deps, { dryRun: values['dry-run'], max });
  if (outcomes.length === 0) {
    out('Nothing to redrive: the on-failure destination is empty.\n');
    return 0;
  }
  for (const o of outcomes) {
    out(
      `${o.result.padEnd(12)} ${o.function}  (failed with ${o.error})${o.detail && o.result !== 'replayed' ? `\n             ${o.detail}` : ''}\n`,
    );
  }
  const again = outcomes.filter((o) => o.result === 'failed-again' || o.result === 'unreadable').length;
  out(
    values['dry-run']
      ? `${outcomes.length} record(s) listed; nothing replayed.\n`
      : `${outcomes.length - again} replayed, ${again} failed again (left in the queue).\n`,
  );
  return again > 0 ? 1 : 0;
}
