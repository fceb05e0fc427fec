import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ShipgateError } from '../../lambdas/shared/errors';

/**
 * What every `shipgate` command shares: one argument parser (`node:util.parseArgs`, strict: an unknown
 * option or a missing value is a usage error that names it), `--help`/`-h`, and one way to find the Shipgate
 * API: `--url`, then `SHIPGATE_API_URL`, then the sandbox on `http://127.0.0.1:$PORT` (3000 when unset).
 *
 * Adding a command: write `src/cli/<name>.ts` exporting `run(args: string[]): Promise<number>` that calls
 * {@link parseCommand} with its options, and add one line to `COMMANDS` in `bin/cli.ts`.
 */

/** A command line that cannot be parsed: the command prints the message and its usage, and exits 2. */
export class UsageError extends ShipgateError {
  static override readonly errorName: string = 'UsageError';
}

/** Options of `parseArgs` (the `options` field of its config). */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** The `--url` option (every command that talks to the API has it). */
export const URL_OPTION = { url: { type: 'string' } } as const satisfies OptionSpecs;

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies OptionSpecs;

/**
 * Parses `args` strictly with `node:util.parseArgs`, adding `--help`/`-h`.
 * @throws UsageError naming the unknown option, the missing value or the extra argument.
 * @example const { values, positionals } = parseCommand(args, { limit: { type: 'string' }, ...URL_OPTION }, 1);
 */
export function parseCommand<O extends OptionSpecs>(args: string[], options: O, maxPositionals = 0) {
  type Config = { args: string[]; options: O & typeof HELP_OPTION; allowPositionals: true; strict: true };
  let parsed: ReturnType<typeof parseArgs<Config>>;
  try {
    parsed = parseArgs<Config>({
      args,
      options: { ...options, ...HELP_OPTION },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // parseArgs words its errors well ("Unknown option '--x'", "Option '--url <value>' argument missing").
    throw new UsageError((err as Error).message.split('\n')[0].split('. To specify a positional')[0]);
  }
  const help = (parsed.values as { help?: boolean }).help;
  if (!help && parsed.positionals.length > maxPositionals) {
    throw new UsageError(
      maxPositionals === 0
        ? `unexpected argument "${parsed.positionals[0]}"`
        : `unexpected argument "${parsed.positionals[maxPositionals]}" (at most ${maxPositionals})`,
    );
  }
  return parsed;
}

/**
 * The base URL of the Shipgate API: `--url`, else `SHIPGATE_API_URL`, else the sandbox on
 * `http://127.0.0.1:$PORT` (3000 when PORT is unset). Trailing slashes are dropped.
 * @throws UsageError when the value is not an http(s) URL, or PORT is not a port number.
 * @example apiBaseUrl(undefined, { PORT: '3300' }) // 'http://127.0.0.1:3300'
 */
export function apiBaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const [raw, from] =
    flag !== undefined
      ? [flag, '--url']
      : env.SHIPGATE_API_URL
        ? [env.SHIPGATE_API_URL, 'SHIPGATE_API_URL']
        : [`http://127.0.0.1:${sandboxPort(env)}`, 'PORT'];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${from} must be a URL such as http://127.0.0.1:3000, received "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${from} must be an http(s) URL, received "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

/** `PORT` as the sandbox reads it (3000 when unset). @throws UsageError for anything but a port number. */
export function sandboxPort(env: NodeJS.ProcessEnv): number {
  const raw = env.PORT;
  if (raw === undefined || raw === '') return 3000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new UsageError(`PORT must be a port number (1–65535), received "${raw}"`);
  }
  return n;
}

/** How to locate the API, for each command's usage text. */
export const URL_HELP = `--url       base URL of the Shipgate API: the stack's ApiUrl output, or the sandbox
            (default: SHIPGATE_API_URL, else http://127.0.0.1:$PORT, PORT defaulting to 3000)`;

/** The hint for a request nobody answered. */
export function unreachableHint(baseUrl: string, err: unknown): string {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  if (code !== 'ECONNREFUSED' && code !== 'ENOTFOUND' && code !== 'EHOSTUNREACH') return '';
  return ` (nothing answers at ${baseUrl}: start the sandbox with "npm start", set PORT to the port it listens on, or pass --url / set SHIPGATE_API_URL)`;
}
