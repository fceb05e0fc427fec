import { parseAlarmEvent, shipgateAlarmMessage } from '../domain/chat/shipgate-alarm';
import { postShipgateMessage, type ShipgateMessageDeps } from '../domain/chat/shipgate-post';
import { getConfig } from '../shared/config';
import { logger } from '../shared/logger';

/**
 * Subscribed to Shipgate's alarm topic (SNS): each CloudWatch alarm state change becomes one "Shipgate
 * itself" chat message (lambdas/domain/chat/shipgate-alarm.ts), in the channel the release messages use, but
 * never in a release's thread. A new alarm settling to OK is not news and is skipped. A malformed event
 * fails with a message naming what was wrong.
 */
export async function notifyAlarms(event: unknown, deps: ShipgateMessageDeps): Promise<{ posted: string[] }> {
  const alarms = parseAlarmEvent(event);
  const posted: string[] = [];
  for (const alarm of alarms) {
    // A new alarm's first evaluation (INSUFFICIENT_DATA → OK) runs its OK actions too: nothing recovered.
    if (alarm.NewStateValue === 'OK' && alarm.OldStateValue === 'INSUFFICIENT_DATA') {
      posted.push('skipped');
      continue;
    }
    const result = await postShipgateMessage(shipgateAlarmMessage(alarm), deps);
    logger.info('Alarm state change told to chat', {
      alarm: alarm.AlarmName,
      state: alarm.NewStateValue,
      result,
    });
    posted.push(result);
  }
  return { posted };
}

/** Lambda entry (SNS subscription of the alarm topic). */
export const handler = async (event: unknown): Promise<{ posted: string[] }> =>
  notifyAlarms(event, { config: getConfig() });
