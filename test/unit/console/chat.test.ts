import { mrkdwn, renderChatCard } from '../../../sandbox/console/chat';

describe('console chat cards', () => {
  it('renders the emoji Shipgate posts, not their :shortcodes:', () => {
    expect(mrkdwn(':rewind: Rolled back')).toBe('⏪ Rolled back');
    expect(mrkdwn(':arrow_forward: Continued')).toBe('▶️ Continued');
    expect(mrkdwn(':fast_forward: :octagonal_sign: :large_green_circle:')).toBe('⏩ 🛑 🟢');
  });

  it('leaves what is not an emoji as written (an ARN keeps its colons)', () => {
    expect(mrkdwn('arn:aws:states:us-east-1:000000000000:execution:x')).toBe(
      'arn:aws:states:us-east-1:000000000000:execution:x',
    );
    expect(mrkdwn(':not_an_emoji_at_all:')).toBe(':not_an_emoji_at_all:');
  });
  it('shows a request card decided, its buttons inert, once its pause or approval no longer takes decisions', () => {
    const card = {
      at: 1_800_000_000,
      text: 'Decision needed',
      body: {
        blocks: [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: '*Decision needed:* billing-app paused · 0 of 2' },
          },
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                text: { type: 'plain_text', text: 'Alice' },
                url: 'http://x/pauses/p-1/alice?sig=a',
              },
            ],
          },
        ],
      },
    };
    const open = renderChatCard(card, { approvals: new Set(), pauses: new Set(['p-1']) });
    expect(open).toContain('<a class="chat-button" href="http://x/pauses/p-1/alice?sig=a"');
    expect(open).not.toContain('decided');
    const closed = renderChatCard(card, { approvals: new Set(), pauses: new Set() });
    expect(closed).toContain('class="chat-card decided"');
    expect(closed).toContain('<span class="chat-button closed"');
    expect(closed).not.toContain('href="http://x/pauses/p-1/alice');
    // Without knowing what is open (no pause source), cards are shown as posted.
    expect(renderChatCard(card)).toContain('<a class="chat-button"');
  });
});
