import * as z from '../../shared/zod';
import { BadRequestError } from '../../shared/errors';
import { formatIssues } from '../../shared/config';
import { escapeChat, slackLink, truncate } from './format';
import type { ChatMessage } from './messages';

/**
 * Chat messages about Shipgate itself (issue 31): a CloudWatch alarm on Shipgate's own queues, functions or
 * workflow changed state. They must never be mistaken for a release's messages, so they have their own
 * shape: a header block "Shipgate itself", the :rotating_light: / :large_green_circle: icons, no release,
 * commit or environment, and a closing line saying who the message is about.
 */

/**
 * The CloudWatch alarm state-change notification (the JSON `Message` of the SNS notification CloudWatch
 * publishes to an alarm action topic). Only the members the message shows; unknown ones are kept.
 */
export const alarmNotificationSchema = z.looseObject({
  AlarmName: z.string().check(z.minLength(1)),
  AlarmDescription: z.nullish(z.string()),
  NewStateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  OldStateValue: z.nullish(z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA'])),
  NewStateReason: z.nullish(z.string()),
  StateChangeTime: z.nullish(z.string()),
  Region: z.nullish(z.string()),
  AlarmArn: z.nullish(z.string()),
});

/** A parsed alarm notification. */
export type AlarmNotification = z.infer<typeof alarmNotificationSchema>;

/** The SNS event Lambda receives from a topic subscription (only what Shipgate reads). */
const snsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.literal('aws:sns'),
        Sns: z.looseObject({ Message: z.string(), TopicArn: z.optional(z.string()) }),
      }),
    )
    .check(z.minLength(1)),
});

/**
 * The alarm notifications in an SNS event.
 * @throws BadRequestError naming what was wrong when the event is not an SNS notification of CloudWatch alarms.
 */
export function parseAlarmEvent(event: unknown): AlarmNotification[] {
  const parsed = snsEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadRequestError(
      `Expected an SNS event (Records[].Sns.Message):\n${formatIssues(parsed.error.issues)}`,
    );
  }
  return parsed.data.Records.map((record, i) => {
    let message: unknown;
    try {
      message = JSON.parse(record.Sns.Message);
    } catch {
      throw new BadRequestError(
        `Records[${i}].Sns.Message: expected the JSON of a CloudWatch alarm notification`,
      );
    }
    const alarm = alarmNotificationSchema.safeParse(message);
    if (!alarm.success) {
      throw new BadRequestError(
        `Records[${i}].Sns.Message is not a CloudWatch alarm notification:\n${formatIssues(alarm.error.issues)}`,
      );
    }
    return alarm.data;
  });
}

const HEADERS = {
  ALARM: ':rotating_light: Shipgate itself: alarm',
  OK: ':large_green_circle: Shipgate itself: recovered',
  INSUFFICIENT_DATA: ':grey_question: Shipgate itself: alarm without data',
} as const;

/** Where a person opens the alarm: the sandbox console's alarms area, else the CloudWatch console. */
export function alarmUrl(alarm: AlarmNotification, env: NodeJS.ProcessEnv = process.env): string {
  if (env.SHIPGATE_CONSOLE_URL) return `${env.SHIPGATE_CONSOLE_URL.replace(/\/$/, '')}/#/alarms`;
  const region =
    alarm.Region && /^[a-z]{2}(-[a-z]+)+-\d$/.test(alarm.Region)
      ? alarm.Region
      : (env.AWS_REGION ?? 'us-east-1');
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarm.AlarmName)}`;
}

/**
 * The chat message of one alarm state change.
 * @example shipgateAlarmMessage({ AlarmName: 'Shipgate-ScanErrors', NewStateValue: 'ALARM', … })
 */
export function shipgateAlarmMessage(
  alarm: AlarmNotification,
  env: NodeJS.ProcessEnv = process.env,
): ChatMessage {
  const state = alarm.NewStateValue;
  const name = escapeChat(alarm.AlarmName);
  const description = escapeChat(truncate(alarm.AlarmDescription ?? '', 1200));
  const change = `${alarm.OldStateValue ?? '?'} → ${state}`;
  const reason = alarm.NewStateReason ? escapeChat(truncate(alarm.NewStateReason, 600)) : undefined;
  const verb = state === 'OK' ? 'is back to OK' : state === 'ALARM' ? 'is in ALARM' : 'has no data';
  const text = `${HEADERS[state]} — ${alarm.AlarmName} ${verb}.${alarm.AlarmDescription ? ` ${alarm.AlarmDescription}` : ''} (About Shipgate, not a release.)`;
  return {
    text: truncate(text, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: HEADERS[state], emoji: true } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(`*${name}* ${verb} (${change})${description ? `\n${description}` : ''}`, 2900),
        },
      },
      ...(reason
        ? [
            {
              type: 'section',
              fields: [
                { type: 'mrkdwn', text: `*Why*\n${reason}` },
                { type: 'mrkdwn', text: `*Since*\n${escapeChat(alarm.StateChangeTime ?? 'now')}` },
              ],
            },
          ]
        : []),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `:wrench: About Shipgate itself, not a release · ${slackLink(alarmUrl(alarm, env), 'Open the alarm')}`,
          },
        ],
      },
    ],
  };
}
