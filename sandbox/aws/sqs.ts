import { createHash, randomUUID } from 'node:crypto';
import { seededRandom, shuffled } from './variation';
import type { JsonStore } from '../store';
import {
  AwsServiceEmulator,
  AwsServiceError,
  SANDBOX_ACCOUNT,
  SANDBOX_REGION,
  requireString,
} from './protocol';

/**
 * Emulated Amazon SQS, only as much as the sandbox needs: the on-failure destination of its asynchronously
 * invoked Lambdas and `shipgate redrive` reading it (AWS JSON 1.0, `X-Amz-Target: AmazonSQS.<Operation>`,
 * the protocol of the current SDKs and CLI). Standard queues only. Operations: CreateQueue, GetQueueUrl,
 * SendMessage, ReceiveMessage, DeleteMessage, GetQueueAttributes (Approximate counts).
 *
 * Semantics kept from the SQS developer guide: a received message stays invisible for its visibility
 * timeout (default 30 s) and comes back if not deleted; only the receipt handle of its latest receive
 * deletes it ("ReceiptHandleIsInvalid" otherwise); a standard queue promises no order, so ReceiveMessage
 * returns the visible messages in a varying order (seeded by SHIPGATE_SANDBOX_SEED, so a run can be
 * replayed); long polling (`WaitTimeSeconds`, 0–20) waits until a message is visible or the time is up.
 */

/** A stored message. */
interface StoredMessage {
  MessageId: string;
  Body: string;
  MD5OfBody: string;
  sentAt: number;
  /** Epoch ms from which it may be received again. */
  visibleAt: number;
  receiptHandle?: string;
  receiveCount: number;
}

/** Persistent SQS state. */
export interface SqsState {
  queues: Record<string, { name: string; createdAt: number; messages: StoredMessage[] }>;
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** The emulator. */
export class SqsEmulator implements AwsServiceEmulator {
  readonly targetPrefix = 'AmazonSQS';
  readonly contentType = 'application/x-amz-json-1.0';
  readonly operations;
  private readonly random: () => number;

  constructor(
    private readonly store: JsonStore<SqsState>,
    /** Where queue URLs point (the sandbox's AWS endpoint), resolved when a URL is made. */
    private readonly endpoint: () => string = () => `https://sqs.${SANDBOX_REGION}.amazonaws.com`,
    seed = Number(process.env.SHIPGATE_SANDBOX_SEED ?? 1) || 1,
  ) {
    this.random = seededRandom(seed);
    this.operations = {
      CreateQueue: (i: Record<string, unknown>) => ({
        QueueUrl: this.createQueue(requireString(i, 'QueueName')),
      }),
      GetQueueUrl: (i: Record<string, unknown>) => ({
        QueueUrl: this.url(this.named(requireString(i, 'QueueName')).name),
      }),
      SendMessage: (i: Record<string, unknown>) =>
        this.sendMessage(this.queueOf(i), requireString(i, 'MessageBody')),
      ReceiveMessage: (i: Record<string, unknown>) => this.receiveMessage(i),
      DeleteMessage: (i: Record<string, unknown>) => this.deleteMessage(i),
      GetQueueAttributes: (i: Record<string, unknown>) => this.attributes(this.queueOf(i)),
    };
  }

  /**
   * Each queue's visible and in-flight messages now: what SQS publishes to CloudWatch as AWS/SQS
   * `ApproximateNumberOfMessagesVisible` / `…NotVisible` (the sandbox's alarms read them).
   */
  depths(): { name: string; visible: number; notVisible: number }[] {
    const now = Date.now();
    return Object.values(this.store.data.queues).map((q) => ({
      name: q.name,
      visible: q.messages.filter((m) => m.visibleAt <= now).length,
      notVisible: q.messages.filter((m) => m.visibleAt > now).length,
    }));
  }

  /** Queue URL of `name` (`<endpoint>/<account>/<name>`). */
  url(name: string): string {
    return `${this.endpoint()}/${SANDBOX_ACCOUNT}/${name}`;
  }

  /** Queue ARN of `name`. */
  arn(name: string): string {
    return `arn:aws:sqs:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}:${name}`;
  }

  /** Creates the queue (idempotent, as CreateQueue with the same attributes is) and returns its URL. */
  createQueue(name: string): string {
    if (!QUEUE_NAME.test(name)) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length; received "${name}".`,
      );
    }
    if (!this.store.data.queues[name]) {
      this.store.data.queues[name] = { name, createdAt: Date.now(), messages: [] };
      this.store.changed();
    }
    return this.url(name);
  }

  private named(name: string) {
    const q = Object.hasOwn(this.store.data.queues, name) ? this.store.data.queues[name] : undefined;
    if (!q) throw new AwsServiceError('QueueDoesNotExist', 'The specified queue does not exist.');
    return q;
  }

  private queueOf(input: Record<string, unknown>) {
    const url = requireString(input, 'QueueUrl');
    return this.named(url.replace(/\/+$/, '').split('/').pop() ?? '');
  }

  /** Puts a message on a queue (what Lambda's on-failure destination does). */
  sendMessage(queue: { messages: StoredMessage[] } | string, body: string) {
    const q = typeof queue === 'string' ? this.named(queue) : queue;
    if (body.length === 0 || Buffer.byteLength(body) > 256 * 1024) {
      throw new AwsServiceError('InvalidMessageContents', 'The message must be 1 byte to 256 KiB long.');
    }
    const message: StoredMessage = {
      MessageId: randomUUID(),
      Body: body,
      MD5OfBody: createHash('md5').update(body).digest('hex'),
      sentAt: Date.now(),
      visibleAt: 0,
      receiveCount: 0,
    };
    q.messages.push(message);
    this.store.changed();
    return { MessageId: message.MessageId, MD5OfMessageBody: message.MD5OfBody };
  }

  private async receiveMessage(input: Record<string, unknown>) {
    const q = this.queueOf(input);
    const max = input.MaxNumberOfMessages ?? 1;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 10) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        `MaxNumberOfMessages must be 1 to 10; received ${String(max)}.`,
      );
    }
    const visibility = typeof input.VisibilityTimeout === 'number' ? input.VisibilityTimeout : 30;
    const wait =
      typeof input.WaitTimeSeconds === 'number' ? Math.min(20, Math.max(0, input.WaitTimeSeconds)) : 0;
    const until = Date.now() + wait * 1000;
    for (;;) {
      const now = Date.now();
      const visible = q.messages.filter((m) => m.visibleAt <= now);
      if (visible.length > 0 || now >= until) {
        // No order is promised: a seeded shuffle.
        const taken = shuffled(visible, this.random).slice(0, max);
        for (const m of taken) {
          m.receiptHandle = randomUUID();
          m.visibleAt = now + visibility * 1000;
          m.receiveCount++;
        }
        if (taken.length) this.store.changed();
        return {
          Messages: taken.map((m) => ({
            MessageId: m.MessageId,
            ReceiptHandle: m.receiptHandle,
            MD5OfBody: m.MD5OfBody,
            Body: m.Body,
            Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) },
          })),
        };
      }
      await new Promise((r) => setTimeout(r, Math.min(100, until - now)));
    }
  }

  private deleteMessage(input: Record<string, unknown>) {
    const q = this.queueOf(input);
    const handle = requireString(input, 'ReceiptHandle');
    const i = q.messages.findIndex((m) => m.receiptHandle === handle);
    if (i < 0)
      throw new AwsServiceError('ReceiptHandleIsInvalid', `The receipt handle "${handle}" is not valid.`);
    q.messages.splice(i, 1);
    this.store.changed();
    return {};
  }

  private attributes(q: { messages: StoredMessage[]; name: string; createdAt: number }) {
    const now = Date.now();
    return {
      Attributes: {
        QueueArn: this.arn(q.name),
        ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visibleAt <= now).length),
        ApproximateNumberOfMessagesNotVisible: String(q.messages.filter((m) => m.visibleAt > now).length),
        CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
      },
    };
  }
}
