import { randomUUID } from 'node:crypto';
import { SANDBOX_ACCOUNT, SANDBOX_REGION } from './protocol';

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

/** Builds an EventBridge envelope. */
export function eventEnvelope(
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
    account: SANDBOX_ACCOUNT,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: SANDBOX_REGION,
    resources,
    detail,
  };
}
