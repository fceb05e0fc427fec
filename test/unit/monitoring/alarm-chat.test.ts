import { notifyAlarms } from '../../../lambdas/steps/alarm-chat';
import { parseAlarmEvent, shipgateAlarmMessage } from '../../../lambdas/domain/chat/shipgate-alarm';
import { BadRequestError } from '../../../lambdas/shared/errors';

/** A CloudWatch alarm notification as CloudWatch publishes it to an SNS topic. */
const notification = {
  AlarmName: 'Shipgate-ScanErrors',
  AlarmDescription: 'The scan function failed for a reason of Shipgate’s own. Read its log group.',
  AWSAccountId: '123456789012',
  NewStateValue: 'ALARM' as const,
  NewStateReason:
    'Threshold Crossed: 1 datapoint [1.0 (07/12/26 05:40:00)] was greater than or equal to the threshold (1.0).',
  StateChangeTime: '2026-12-07T05:41:02.123+0000',
  Region: 'eu-west-1',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Shipgate-ScanErrors',
  OldStateValue: 'OK' as const,
  Trigger: { MetricName: 'Errors', Namespace: 'AWS/Lambda', Period: 300 },
};
const snsEvent = (message: unknown) => ({
  Records: [
    {
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:eu-west-1:123456789012:alarms:1',
      Sns: {
        Type: 'Notification',
        MessageId: 'm-1',
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms',
        Subject: 'ALARM: "Shipgate-ScanErrors" in EU (Ireland)',
        Message: typeof message === 'string' ? message : JSON.stringify(message),
        Timestamp: '2026-12-07T05:41:02.200Z',
      },
    },
  ],
});

describe('"Shipgate itself" chat messages', () => {
  it('reads as Shipgate itself: its own header, the alarm, why, and no release', () => {
    // WHEN
    const message = shipgateAlarmMessage(parseAlarmEvent(snsEvent(notification))[0], {});
    // THEN
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':rotating_light: Shipgate itself: alarm', emoji: true },
    });
    const all = JSON.stringify(message.blocks);
    expect(all).toContain('*Shipgate-ScanErrors* is in ALARM (OK → ALARM)');
    expect(all).toContain('Threshold Crossed');
    expect(all).toContain('About Shipgate itself, not a release');
    expect(all).toContain(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/Shipgate-ScanErrors',
    );
    expect(message.text).toMatch(
      /^:rotating_light: Shipgate itself: alarm — Shipgate-ScanErrors is in ALARM\./,
    );
    expect(message.text).not.toMatch(/Release:|Execution:/);
  });

  it('says when an alarm recovers, and links the sandbox console when there is one', () => {
    const message = shipgateAlarmMessage(
      { ...notification, NewStateValue: 'OK' as const, OldStateValue: 'ALARM' as const },
      { SHIPGATE_CONSOLE_URL: 'http://127.0.0.1:3000' },
    );
    expect(message.blocks[0]).toMatchObject({
      text: { text: ':large_green_circle: Shipgate itself: recovered' },
    });
    expect(JSON.stringify(message.blocks)).toContain('http://127.0.0.1:3000/#/alarms');
  });

  it('escapes what it quotes (no mass mentions, no links smuggled in)', () => {
    const message = shipgateAlarmMessage(
      { ...notification, AlarmDescription: 'ping @channel <http://evil|click>' },
      {},
    );
    expect(JSON.stringify(message.blocks)).not.toContain('@channel');
    expect(JSON.stringify(message.blocks)).not.toContain('<http://evil');
  });

  it('refuses what is not an SNS notification of a CloudWatch alarm, naming what is wrong', () => {
    expect(() => parseAlarmEvent({})).toThrow(BadRequestError);
    expect(() => parseAlarmEvent(snsEvent('not json'))).toThrow(
      /Records\[0\]\.Sns\.Message: expected the JSON/,
    );
    expect(() => parseAlarmEvent(snsEvent({ AlarmName: 'x', NewStateValue: 'RED' }))).toThrow(
      /NewStateValue/,
    );
  });

  it('posts one message per notification to the chat webhook', async () => {
    const posts: unknown[] = [];
    const fetch = (async (_url: string, init: { body: string }) => {
      posts.push(JSON.parse(init.body));
      return new Response('ok');
    }) as unknown as typeof globalThis.fetch;
    const result = await notifyAlarms(snsEvent(notification), {
      config: { notifications: { chat: true } } as never,
      getSecret: async (name) => (name === 'chatWebhookUrl' ? 'https://chat.example/hook' : undefined),
      fetch,
    });
    expect(result).toEqual({ posted: ['sent'] });
    expect(posts).toHaveLength(1);
    expect(JSON.stringify(posts[0])).toContain('Shipgate itself');
  });

  it('posts with the Slack app in the channel, never in a release thread', async () => {
    const calls: { url: string; body: Record<string, unknown> }[] = [];
    const fetch = (async (url: string, init: { body: string }) => {
      calls.push({ url, body: JSON.parse(init.body) as Record<string, unknown> });
      return new Response(JSON.stringify({ ok: true, channel: 'C1', ts: '1.2' }));
    }) as unknown as typeof globalThis.fetch;
    await notifyAlarms(snsEvent(notification), {
      config: { notifications: { chat: true, slackChannel: 'C1' } } as never,
      getSecret: async (name) => (name === 'slackBotToken' ? 'xoxb-test' : undefined),
      fetch,
      env: {},
    });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('https://slack.com/api/chat.postMessage');
    expect(calls[0].body.channel).toBe('C1');
    expect(calls[0].body).not.toHaveProperty('thread_ts');
  });
});
