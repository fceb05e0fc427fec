import { run } from '../../../src/cli/demo';

describe('shipgate demo --history (arguments)', () => {
  let err: jest.SpyInstance;
  beforeEach(() => (err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true)));
  afterEach(() => err.mockRestore());

  it('refuses a window that is not whole days, and a seed that is not a whole number, with exit 2', async () => {
    await expect(run(['--history', '2w'])).resolves.toBe(2);
    expect(String(err.mock.calls[0][0])).toContain('--history takes a number of days such as 30d or 90d');
    await expect(run(['--history', '30d', '--seed', 'abc'])).resolves.toBe(2);
    expect(String(err.mock.calls[1][0])).toContain('--seed takes a whole number, received "abc"');
  });
});
