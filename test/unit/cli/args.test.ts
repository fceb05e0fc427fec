import { apiBaseUrl, parseCommand, UsageError, URL_OPTION } from '../../../src/cli/args';
import { cliActor } from '../../../src/cli/actor';

describe('one CLI: arguments and where the API is', () => {
  it('finds the API at --url, then SHIPGATE_API_URL, then the sandbox on PORT (3000 without it)', () => {
    const env = { SHIPGATE_API_URL: 'https://abc.execute-api.eu-west-1.amazonaws.com/', PORT: '3300' };
    expect(apiBaseUrl('http://127.0.0.1:4000/', env)).toBe('http://127.0.0.1:4000');
    expect(apiBaseUrl(undefined, env)).toBe('https://abc.execute-api.eu-west-1.amazonaws.com');
    expect(apiBaseUrl(undefined, { PORT: '3300' })).toBe('http://127.0.0.1:3300');
    expect(apiBaseUrl(undefined, {})).toBe('http://127.0.0.1:3000');
  });

  it('names what is wrong: a bad URL, a bad PORT', () => {
    expect(() => apiBaseUrl('nope', {})).toThrow(
      new UsageError('--url must be a URL such as http://127.0.0.1:3000, received "nope"'),
    );
    expect(() => apiBaseUrl(undefined, { SHIPGATE_API_URL: 'ftp://x' })).toThrow(
      /SHIPGATE_API_URL must be an http\(s\) URL/,
    );
    expect(() => apiBaseUrl(undefined, { PORT: '70000' })).toThrow(
      /PORT must be a port number \(1–65535\), received "70000"/,
    );
  });

  it('parses strictly with --help everywhere, refusing unknown options and extra arguments by name', () => {
    const spec = { ...URL_OPTION, json: { type: 'boolean' } } as const;
    expect(parseCommand(['--url', 'http://x', '--json', 'id'], spec, 1)).toMatchObject({
      values: { url: 'http://x', json: true },
      positionals: ['id'],
    });
    expect(parseCommand(['-h'], spec).values.help).toBe(true);
    expect(() => parseCommand(['--bogus'], spec)).toThrow("Unknown option '--bogus'");
    expect(() => parseCommand(['--url'], spec)).toThrow(/--url/);
    expect(() => parseCommand(['a', 'b'], spec, 1)).toThrow('unexpected argument "b" (at most 1)');
  });

  it('acts as one person everywhere: $USER, else the login name', () => {
    expect(cliActor({ USER: 'ada' })).toBe('ada');
    expect(cliActor({})).toMatch(/\S/);
  });
});
