import type { JsonStore } from '../store';
import type { EventBridgeEvent } from './eventbridge';
import {
  AwsServiceError,
  SANDBOX_ACCOUNT,
  SANDBOX_REGION,
  type AwsCallContext,
  type AwsServiceEmulator,
  paginate,
  requireString,
} from './protocol';

/**
 * Emulated Amazon EventBridge: the default event bus of every account, its rules and targets, and its
 * resource policy (`AWSEvents`, JSON 1.1: PutRule, DeleteRule, ListRules, PutTargets, RemoveTargets,
 * ListTargetsByRule, PutPermission, RemovePermission, DescribeEventBus; only the `default` bus).
 *
 * ECS and CodeDeploy put their events on their account's bus. A rule whose target is another account's bus
 * forwards the event there ("Sending and receiving Amazon EventBridge events between AWS accounts"), where it
 * arrives only if that bus's policy allows `events:PutEvents` from the sender's account; the event keeps its
 * original `account` and `region`. Shipgate's own bus (account 000000000000) hands every event to Shipgate's
 * rules (the sandbox's rollout-events target).
 */

interface StoredRule {
  name: string;
  pattern: Record<string, unknown>;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: { Id: string; Arn: string; RoleArn?: string }[];
}

interface Statement {
  Sid: string;
  Effect: 'Allow';
  Principal: { AWS: string } | '*';
  Action: string;
  Resource: string;
}

/** Persistent EventBridge state: per account, the default bus's rules and policy statements. */
export interface EventBusState {
  buses: Record<string, { rules: Record<string, StoredRule>; policy: Statement[] }>;
}

const busArn = (account: string) => `arn:aws:events:${SANDBOX_REGION}:${account}:event-bus/default`;

/** Whether an event matches an EventBridge pattern (arrays list accepted values; objects nest). */
export function matchesPattern(pattern: Record<string, unknown>, value: unknown): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    const got = (value as Record<string, unknown> | undefined)?.[key];
    if (Array.isArray(want)) {
      return want.some((w) => (Array.isArray(got) ? got.includes(w) : got === w));
    }
    if (want && typeof want === 'object') return matchesPattern(want as Record<string, unknown>, got);
    return false;
  });
}

/** The default buses of every account, and the EventBridge API over them. */
export class EventBuses implements AwsServiceEmulator {
  readonly targetPrefix = 'AWSEvents';
  readonly contentType = 'application/x-amz-json-1.1';
  readonly operations;

  constructor(
    private readonly store: JsonStore<EventBusState>,
    /** Receives what reaches Shipgate's bus (account 000000000000): Shipgate's rules. */
    private readonly shipgate: (event: EventBridgeEvent) => void,
  ) {
    type I = Record<string, unknown>;
    this.operations = {
      PutRule: (i: I, c: AwsCallContext) => this.putRule(c.accountId, i),
      DeleteRule: (i: I, c: AwsCallContext) => this.deleteRule(c.accountId, i),
      ListRules: (i: I, c: AwsCallContext) => this.listRules(c.accountId, i),
      PutTargets: (i: I, c: AwsCallContext) => this.putTargets(c.accountId, i),
      RemoveTargets: (i: I, c: AwsCallContext) => this.removeTargets(c.accountId, i),
      ListTargetsByRule: (i: I, c: AwsCallContext) => ({ Targets: this.rule(c.accountId, i.Rule).targets }),
      PutPermission: (i: I, c: AwsCallContext) => this.putPermission(c.accountId, i),
      RemovePermission: (i: I, c: AwsCallContext) => this.removePermission(c.accountId, i),
      DescribeEventBus: (i: I, c: AwsCallContext) => this.describeEventBus(c.accountId, i),
    };
  }

  private bus(account: string, name: unknown = 'default') {
    if (name !== undefined && name !== 'default' && name !== busArn(account)) {
      throw new AwsServiceError('ResourceNotFoundException', `Event bus ${String(name)} does not exist.`);
    }
    return (this.store.data.buses[account] ??= { rules: {}, policy: [] });
  }

  private rule(account: string, name: unknown, bus?: unknown): StoredRule {
    const rule = this.bus(account, bus).rules[String(name)];
    if (!rule)
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `Rule ${String(name)} does not exist on EventBus default.`,
      );
    return rule;
  }

  /** An event that happened in `account`, put on its default bus: its rules run, forwards included. */
  put(account: string, event: EventBridgeEvent): void {
    if (account === SANDBOX_ACCOUNT) this.shipgate(event);
    for (const rule of Object.values(this.bus(account).rules)) {
      if (rule.state !== 'ENABLED' || !matchesPattern(rule.pattern, event)) continue;
      for (const target of rule.targets) {
        const to = /^arn:aws:events:[^:]+:(\d{12}):event-bus\/default$/.exec(target.Arn)?.[1];
        if (to && to !== account && this.allows(to, account)) this.put(to, event);
      }
    }
  }

  /** Whether the default bus of `owner` accepts `events:PutEvents` from `sender`. */
  allows(owner: string, sender: string): boolean {
    return this.bus(owner).policy.some(
      (s) =>
        ['events:PutEvents', 'events:*'].includes(s.Action) &&
        (s.Principal === '*' ||
          s.Principal.AWS === '*' ||
          s.Principal.AWS === sender ||
          s.Principal.AWS === `arn:aws:iam::${sender}:root`),
    );
  }

  putRule(account: string, input: Record<string, unknown>) {
    const name = requireString(input, 'Name');
    let pattern: Record<string, unknown>;
    try {
      pattern = JSON.parse(requireString(input, 'EventPattern', 'InvalidEventPatternException')) as Record<
        string,
        unknown
      >;
    } catch (err) {
      if (err instanceof AwsServiceError) throw err;
      throw new AwsServiceError(
        'InvalidEventPatternException',
        'Event pattern is not valid. Reason: not JSON',
      );
    }
    const bus = this.bus(account, input.EventBusName);
    const state = input.State === 'DISABLED' ? 'DISABLED' : 'ENABLED';
    const description = typeof input.Description === 'string' ? input.Description : undefined;
    bus.rules[name] = { name, pattern, state, description, targets: bus.rules[name]?.targets ?? [] };
    this.store.changed();
    return { RuleArn: `arn:aws:events:${SANDBOX_REGION}:${account}:rule/${name}` };
  }

  deleteRule(account: string, input: Record<string, unknown>) {
    const bus = this.bus(account, input.EventBusName);
    const rule = bus.rules[requireString(input, 'Name')];
    if (!rule) return {};
    if (rule.targets.length && input.Force !== true) {
      throw new AwsServiceError('ValidationException', "Rule can't be deleted since it has targets.");
    }
    delete bus.rules[rule.name];
    this.store.changed();
    return {};
  }

  listRules(account: string, input: Record<string, unknown>) {
    const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
    const rules = Object.values(this.bus(account, input.EventBusName).rules)
      .filter((r) => r.name.startsWith(prefix))
      .map((r) => ({
        Name: r.name,
        Arn: `arn:aws:events:${SANDBOX_REGION}:${account}:rule/${r.name}`,
        EventPattern: JSON.stringify(r.pattern),
        State: r.state,
        Description: r.description,
        EventBusName: 'default',
      }));
    const { page, nextToken } = paginate(rules, input.Limit, input.NextToken);
    return { Rules: page, ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  putTargets(account: string, input: Record<string, unknown>) {
    const rule = this.rule(account, input.Rule, input.EventBusName);
    const targets = Array.isArray(input.Targets) ? (input.Targets as StoredRule['targets']) : [];
    for (const t of targets) {
      rule.targets = [
        ...rule.targets.filter((x) => x.Id !== t.Id),
        { Id: t.Id, Arn: t.Arn, ...(t.RoleArn ? { RoleArn: t.RoleArn } : {}) },
      ];
    }
    this.store.changed();
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  removeTargets(account: string, input: Record<string, unknown>) {
    const rule = this.rule(account, input.Rule, input.EventBusName);
    const ids = Array.isArray(input.Ids) ? (input.Ids as string[]) : [];
    rule.targets = rule.targets.filter((t) => !ids.includes(t.Id));
    this.store.changed();
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  putPermission(account: string, input: Record<string, unknown>) {
    const bus = this.bus(account, input.EventBusName);
    const sid = requireString(input, 'StatementId');
    const principal = requireString(input, 'Principal');
    if (principal !== '*' && !/^\d{12}$/.test(principal)) {
      throw new AwsServiceError(
        'ValidationException',
        `Principal ${principal} is not a 12-digit account id or *.`,
      );
    }
    const action = typeof input.Action === 'string' ? input.Action : 'events:PutEvents';
    bus.policy = [
      ...bus.policy.filter((s) => s.Sid !== sid),
      {
        Sid: sid,
        Effect: 'Allow',
        Principal: { AWS: principal === '*' ? '*' : `arn:aws:iam::${principal}:root` },
        Action: action,
        Resource: busArn(account),
      },
    ];
    this.store.changed();
    return {};
  }

  removePermission(account: string, input: Record<string, unknown>) {
    const bus = this.bus(account, input.EventBusName);
    if (input.RemoveAllPermissions === true) bus.policy = [];
    else {
      const sid = requireString(input, 'StatementId');
      if (!bus.policy.some((s) => s.Sid === sid)) {
        throw new AwsServiceError(
          'ResourceNotFoundException',
          'Statement with the provided id does not exist.',
        );
      }
      bus.policy = bus.policy.filter((s) => s.Sid !== sid);
    }
    this.store.changed();
    return {};
  }

  describeEventBus(account: string, input: Record<string, unknown>) {
    const bus = this.bus(account, input.Name);
    return {
      Name: 'default',
      Arn: busArn(account),
      ...(bus.policy.length
        ? { Policy: JSON.stringify({ Version: '2012-10-17', Statement: bus.policy }) }
        : {}),
    };
  }
}
