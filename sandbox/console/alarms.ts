/**
 * The console's alarms area (`#/alarms`): Shipgate's alarms on itself (issue 31) as the sandbox's CloudWatch
 * holds them — the same definitions the stack deploys (lib/monitoring/alarms.ts), evaluated against the
 * sandbox's own signals (sandbox/alarms/monitor.ts). Alarms in ALARM first, each with what it watches, why
 * it is in its state, since when, and what to do (its description, which the chat message quotes too).
 */
import type { Emulators } from '../aws/emulators';
import type { StoredAlarm } from '../aws/cloudwatch';
import { SANDBOX_ALARM_PREFIX } from '../alarms/monitor';
import { badge, esc, time } from './format';

/** One alarm as the console and `GET /_sandbox/api/alarms` show it. */
export interface AlarmState {
  name: string;
  state: StoredAlarm['StateValue'];
  reason: string;
  /** Epoch seconds of the last state change. */
  since: number;
  description: string;
  /** What it reads: `AWS/Lambda Errors` or the metric math. */
  watches: string;
}

const ORDER = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 } as const;

/** Shipgate's alarms in the emulated CloudWatch, in ALARM first, then by name. */
export function shipgateAlarmStates(emulators: Pick<Emulators, 'cloudwatch'>): AlarmState[] {
  const alarms: StoredAlarm[] = [];
  let token: string | undefined;
  do {
    const page = emulators.cloudwatch.describeAlarms({
      AlarmNamePrefix: `${SANDBOX_ALARM_PREFIX}-`,
      MaxRecords: 100,
      ...(token ? { NextToken: token } : {}),
    }) as { MetricAlarms: StoredAlarm[]; NextToken?: string };
    alarms.push(...page.MetricAlarms);
    token = page.NextToken;
  } while (token);
  return alarms
    .map((a) => ({
      name: a.AlarmName,
      state: a.StateValue,
      reason: a.StateReason,
      since: a.StateUpdatedTimestamp,
      description: a.AlarmDescription ?? '',
      watches: a.Metrics
        ? (a.Metrics.find((m) => m.Expression)?.Expression ?? '') +
          ' of ' +
          a.Metrics.filter((m) => m.MetricStat)
            .map((m) => {
              const { Namespace, MetricName, Dimensions } = m.MetricStat!.Metric;
              const dims = (Dimensions ?? []).map((d) => ` ${d.Name}=${d.Value}`).join('');
              return `${m.Id} = ${Namespace} ${MetricName}${dims}`;
            })
            .join(', ')
        : `${a.Namespace ?? ''} ${a.MetricName ?? ''} ${(a.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(' ')}`,
    }))
    .sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.name.localeCompare(b.name));
}

/** The alarms fragment: counts, then one row per alarm; refreshed every 2 s like the other live views. */
export function renderAlarms(alarms: AlarmState[]): string {
  const firing = alarms.filter((a) => a.state === 'ALARM');
  const summary = firing.length
    ? `<p class="alarm-summary firing">${badge('failed', `${firing.length} in ALARM`)} Shipgate itself is unwell: ${firing
        .map((a) => esc(a.name))
        .join(', ')}.</p>`
    : `<p class="alarm-summary">${badge('succeeded', 'all OK')} No alarm on Shipgate itself.</p>`;
  const rows = alarms
    .map(
      (a) => `<tr data-key="${esc(a.name)}" class="alarm-row ${esc(a.state.toLowerCase())}">
<td>${badge(a.state === 'ALARM' ? 'failed' : a.state === 'OK' ? 'succeeded' : 'aborted', a.state)}</td>
<td><strong>${esc(a.name)}</strong><div class="muted alarm-watches">${esc(a.watches)}</div></td>
<td>${esc(a.reason)}<div class="muted">since ${esc(time(a.since))}</div></td>
<td class="alarm-what">${esc(a.description)}</td></tr>`,
    )
    .join('');
  return `<section data-live="true" id="alarms"><h2>Alarms on Shipgate itself</h2>
<p class="muted">The alarms the stack deploys, evaluated by the sandbox's CloudWatch against its own signals: function errors and throttles (from the local Lambda runner), queue depth (SQS), and Shipgate's metrics (EMF lines of the bundles). Each change of state goes to the alarm topic, whose subscriber posts a "Shipgate itself" message to chat.</p>
${summary}
<div class="table-wrap"><table class="alarms"><thead><tr><th>state</th><th>alarm</th><th>why</th><th>what to do</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}
