import type { Release } from '../../shared/release';
import { escapeChat, shortSha, slackLink, truncate } from './format';
import type { Block, ChatMessage } from './messages';

/**
 * Chat messages about how a release ended in each environment, and about manual rollbacks. Pure functions:
 * the `text` fallback reads on its own (Mattermost, notifications), `blocks` are Block Kit. Every message
 * links to the execution (when there is one) and the release record.
 */

/** A digest change of one service (manual rollback). */
export interface DigestRef {
  digest: string;
  releaseId: string;
}

/** What happened, one kind per message. */
export type ReleaseOutcome =
  | {
      kind: 'deployed';
      environment: string;
      digests: Record<string, string>;
      /** From the start of the rollout to the passed smoke checks. */
      durationSeconds?: number;
      approvedBy?: string[];
      checks?: number;
    }
  | {
      kind: 'failed';
      environment?: string;
      /** Step Functions error name, e.g. RolloutFailed, VerifyFailed. */
      error: string;
      /** The readable cause (never a stack trace). */
      cause?: string;
      rolledBack: { service: string; from?: string; to?: string; by?: string }[];
      untouched: { service: string; reason: string }[];
      /** The rollback itself failed (its readable cause). */
      rollbackError?: string;
    }
  | { kind: 'scan-stopped'; counts: Record<string, number>; summary?: string }
  | { kind: 'frozen'; environment: string; until?: string; reason?: string }
  | { kind: 'superseded'; environment?: string; cause?: string }
  | { kind: 'aborted'; environment?: string; cause?: string }
  | {
      kind: 'rolled-back';
      environment: string;
      service: string;
      by: string;
      from: DigestRef;
      to: DigestRef;
      reason: string;
    }
  | {
      kind: 'rollback-failed';
      environment: string;
      service: string;
      by: string;
      reason: string;
      cause: string;
    }
  | {
      /** ECS finished a rollout (or rollback) of this release after its execution had ended (issue 27). */
      kind: 'after-release';
      environment: string;
      service: string;
      result: 'deployed' | 'rolled-back' | 'failed';
      lines: string[];
    }
  | {
      /** The execution ended while this rollout still ran or waited: what is left, what Shipgate did, how to act. */
      kind: 'left-behind';
      environment: string;
      service: string;
      lines: string[];
    };

/** Outcome kinds that are good news; an environment set to `failures` hears only the others. */
export const GOOD_NEWS: ReadonlySet<ReleaseOutcome['kind']> = new Set(['deployed', 'frozen']);

/** The release the message is about, with its links. */
export interface OutcomeSubject {
  release: Release;
  /** Console link of the execution (absent for a manual rollback). */
  executionUrl?: string;
  /** `GET /api/releases/<id>` of the release. */
  releaseUrl: string;
}

/** Options of {@link outcomeMessage}. */
export interface OutcomeMessageOptions {
  /** Quote the release in the message (incoming webhook: every message stands alone). */
  quote: boolean;
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text: truncate(text, 2900) });

/** "1 h 2 min", "3 min 5 s", "42 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "CRITICAL 1, HIGH 3" in severity order; "no findings" when empty. */
export function countsLine(counts: Record<string, number>): string {
  const order = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];
  const entries = Object.entries(counts)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  return entries.length ? entries.map(([sev, n]) => `${sev} ${n}`).join(', ') : 'no findings';
}

/** Title word, emoji and the one-line headline of an outcome. */
function title(outcome: ReleaseOutcome): { emoji: string; headline: string } {
  switch (outcome.kind) {
    case 'deployed':
      return { emoji: ':rocket:', headline: `Deployed to ${outcome.environment}` };
    case 'failed':
      return {
        emoji: ':rotating_light:',
        headline: `Failed${outcome.environment ? ` in ${outcome.environment}` : ''}${
          outcome.rolledBack.length ? ', rolled back' : ''
        }`,
      };
    case 'scan-stopped':
      return { emoji: ':no_entry:', headline: 'Stopped at the scan gate' };
    case 'frozen':
      return {
        emoji: ':snowflake:',
        headline: `Held by a deploy freeze in ${outcome.environment}${outcome.until ? ` until ${outcome.until}` : ''}`,
      };
    case 'superseded':
      return {
        emoji: ':fast_forward:',
        headline: `Superseded${outcome.environment ? ` in ${outcome.environment}` : ''}`,
      };
    case 'aborted':
      return {
        emoji: ':octagonal_sign:',
        headline: `Aborted${outcome.environment ? ` in ${outcome.environment}` : ''}`,
      };
    case 'rolled-back':
      return {
        emoji: ':rewind:',
        headline: `Rolled back ${outcome.service} in ${outcome.environment} by hand`,
      };
    case 'rollback-failed':
      return {
        emoji: ':rotating_light:',
        headline: `Manual rollback of ${outcome.service} in ${outcome.environment} failed`,
      };
    case 'after-release':
      return {
        emoji: outcome.result === 'deployed' ? ':warning:' : ':rewind:',
        headline: `${outcome.service} in ${outcome.environment} ${
          outcome.result === 'deployed'
            ? 'was deployed (never verified)'
            : outcome.result === 'rolled-back'
              ? 'was rolled back'
              : 'failed'
        }, finished after the release ended`,
      };
    case 'left-behind':
      return {
        emoji: ':warning:',
        headline: `The release ended while ${outcome.service} in ${outcome.environment} was still rolling out`,
      };
  }
}

/** The detail lines of an outcome (plain text; escaped by the caller). */
export function outcomeDetails(outcome: ReleaseOutcome): string[] {
  switch (outcome.kind) {
    case 'deployed': {
      const lines = Object.entries(outcome.digests).map(([svc, digest]) => `${svc} @ ${digest}`);
      const facts = [
        outcome.durationSeconds !== undefined
          ? `rolled out and verified in ${formatDuration(outcome.durationSeconds)}`
          : undefined,
        outcome.approvedBy?.length ? `approved by ${outcome.approvedBy.join(', ')}` : undefined,
        outcome.checks !== undefined ? `${plural(outcome.checks, 'smoke check')} passed` : undefined,
      ].filter(Boolean);
      return [...lines, ...(facts.length ? [facts.join('; ')] : [])];
    }
    case 'failed': {
      const lines = [`${outcome.error}: ${outcome.cause ?? 'no cause given'}`];
      if (outcome.rolledBack.length) {
        lines.push(
          `Rolled back: ${outcome.rolledBack
            .map(
              (r) =>
                `${r.service}${r.from || r.to ? ` ${r.from ?? '?'} → ${r.to ?? '?'}` : ''}${r.by ? ` (by ${r.by})` : ''}`,
            )
            .join(', ')}`,
        );
      }
      if (outcome.untouched.length) {
        lines.push(
          `Not rolled back: ${outcome.untouched.map((u) => `${u.service} (${u.reason})`).join(', ')}`,
        );
      }
      if (outcome.rollbackError) lines.push(`The rollback failed too: ${outcome.rollbackError}`);
      if (!outcome.rolledBack.length && !outcome.untouched.length && !outcome.rollbackError) {
        lines.push('Nothing was rolled back: nothing of this release was running there.');
      }
      return lines;
    }
    case 'scan-stopped':
      return [
        `Findings over the policy: ${countsLine(outcome.counts)}`,
        ...(outcome.summary ? [outcome.summary] : []),
      ];
    case 'frozen':
      return [
        `${outcome.reason ?? 'A deploy freeze'}; the release waits and continues ${
          outcome.until ? `at ${outcome.until}` : 'when it ends'
        }.`,
      ];
    case 'superseded':
      return [outcome.cause ?? 'A newer release of the project replaced this one.'];
    case 'aborted':
      return [outcome.cause ?? 'The execution was stopped; nothing more runs for this release.'];
    case 'rolled-back':
      return [
        `${outcome.by} rolled ${outcome.service} back from ${outcome.from.digest} (release ${outcome.from.releaseId}) to ${outcome.to.digest} (release ${outcome.to.releaseId})`,
        `Reason: ${outcome.reason}`,
      ];
    case 'rollback-failed':
      return [`Requested by ${outcome.by}: ${outcome.reason}`, outcome.cause];
    case 'after-release':
    case 'left-behind':
      return outcome.lines;
  }
}

/** "root/inventory-app `1a2b3c4d` "Fix the thing" by alice" — the release, quoted. */
function quoteLine(release: Release, markdown: boolean): string {
  const sha = shortSha(release.commit.sha);
  const commit = markdown && release.commit.url ? slackLink(release.commit.url, sha) : `\`${sha}\``;
  return `${escapeChat(release.project.path)} ${commit} "${escapeChat(truncate(release.commit.title, 200))}" by ${escapeChat(
    release.triggeredBy.username,
  )} · release ${escapeChat(release.id)}`;
}

/**
 * The message of an outcome: a headline ("Deployed to production: root/inventory-app 1a2b3c4d"), the
 * details (digests and duration; cause and what was rolled back; counted findings; until when; who, from,
 * to and why), links to the execution and the release, and with `quote` the release quoted.
 */
export function outcomeMessage(
  outcome: ReleaseOutcome,
  subject: OutcomeSubject,
  options: OutcomeMessageOptions,
): ChatMessage {
  const { emoji, headline } = title(outcome);
  const release = subject.release;
  const head = `${headline}: ${release.project.path} ${shortSha(release.commit.sha)}`;
  const details = outcomeDetails(outcome).map((l) => truncate(l.replace(/\s+/g, ' '), 700));
  const links = [
    ...(subject.executionUrl ? [slackLink(subject.executionUrl, 'Execution')] : []),
    slackLink(subject.releaseUrl, 'Release'),
    ...(release.pipeline.url ? [slackLink(release.pipeline.url, `Pipeline #${release.pipeline.id}`)] : []),
  ].join('  ·  ');
  const blocks: Block[] = [
    {
      type: 'section',
      text: mrkdwn(`${emoji} *${escapeChat(head)}*\n${details.map((d) => escapeChat(d)).join('\n')}`),
    },
    ...(options.quote ? [{ type: 'context', elements: [mrkdwn(`> ${quoteLine(release, true)}`)] }] : []),
    { type: 'context', elements: [mrkdwn(links)] },
  ];
  const text = [
    `${escapeChat(head)}`,
    ...details.map((d) => escapeChat(d)),
    ...(options.quote ? [`> ${quoteLine(release, false)}`] : []),
    ...(subject.executionUrl ? [`Execution: ${subject.executionUrl}`] : []),
    `Release: ${subject.releaseUrl}`,
  ].join('\n');
  return { text, blocks };
}

/** Whether an environment's `notify` setting lets this outcome through. */
export function notifies(level: 'all' | 'failures' | 'none', outcome: ReleaseOutcome): boolean {
  if (level === 'none') return false;
  return level === 'all' || !GOOD_NEWS.has(outcome.kind);
}
