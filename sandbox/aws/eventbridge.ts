import { randomUUID } from 'node:crypto';
import { SANDBOX_REGION } from './protocol';

/** An event in EventBridge's envelope, as a rule target receives it. */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** Receives deployment state-change events (the sandbox's stand-in for an EventBridge rule). */
export type EventSink = (event: EventBridgeEvent) => void;

/** Builds an EventBridge envelope of an event that happened in `account`. */
export function eventEnvelope(
  account: string,
  detailType: string,
  source: string,
  resources: string[],
  detail: Record<string, unknown>,
): EventBridgeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: SANDBOX_REGION,
    resources,
    detail,
  };
}
