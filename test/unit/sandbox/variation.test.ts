import { paginateUnordered, sandboxSeed, shuffled } from '../../../sandbox/aws/variation';

/** The emulators' seeded variation (sandbox/aws/variation.ts): what AWS does not promise, they do not keep. */
describe('sandbox variation', () => {
  const items = Array.from({ length: 25 }, (_, i) => `item-${String(i).padStart(2, '0')}`);

  it('pages an unordered list consistently: every item once, in the order the first page drew', () => {
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const { page, nextToken } = paginateUnordered(items, 7, token);
      seen.push(...page);
      token = nextToken;
    } while (token);
    expect([...seen].sort()).toEqual(items);
  });

  it('lists the same items in different orders from one listing to the next', () => {
    const orders = new Set(
      Array.from({ length: 5 }, () => paginateUnordered(items, 100, undefined).page.join()),
    );
    expect(orders.size).toBeGreaterThan(1);
  });

  it('draws the same permutation from the same order token (what makes a seed replayable)', () => {
    const random = () => 0.5;
    expect(shuffled(items, random)).toEqual(shuffled(items, random));
  });

  it('takes SHIPGATE_SANDBOX_SEED, draws one when unset, and refuses one that is not an integer', () => {
    expect(sandboxSeed({ SHIPGATE_SANDBOX_SEED: '7' })).toBe(7);
    const env: NodeJS.ProcessEnv = {};
    const drawn = sandboxSeed(env);
    expect(env.SHIPGATE_SANDBOX_SEED).toBe(String(drawn));
    expect(() => sandboxSeed({ SHIPGATE_SANDBOX_SEED: 'abc' })).toThrow(
      'SHIPGATE_SANDBOX_SEED must be a non-negative integer (it seeds the sandbox\'s variation); received "abc".',
    );
  });
});
