import { mrkdwn } from '../../../sandbox/console/chat';

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
});
