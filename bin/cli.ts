/**
 * `shipgate` command line. Each sub-command lives in `src/cli/<name>.ts` and exports
 * `run(args: string[]): Promise<number>` (the exit code); this file only dispatches.
 *
 * Adding a command is one line here plus its module, which parses its arguments with `parseCommand` and finds
 * the API with `apiBaseUrl` (src/cli/args.ts), so `--help`, errors and `--url` / SHIPGATE_API_URL / PORT
 * behave as in every other command.
 */
const COMMANDS: Record<string, { module: string; summary: string }> = {
  dev: { module: '../src/cli/dev', summary: 'run the local sandbox in the foreground (npm start)' },
  demo: {
    module: '../src/cli/demo',
    summary: 'push an image, send a pipeline webhook, print approval links',
  },
  gitlab: { module: '../src/cli/gitlab', summary: 'gitlab hooks: create or update the project webhooks' },
  rollback: {
    module: '../src/cli/rollback',
    summary: 'roll a service back to the previously released digest',
  },
  releases: {
    module: '../src/cli/releases',
    summary: 'list releases or show one (HTTP API, SigV4-signed in AWS)',
  },
  dora: {
    module: '../src/cli/dora',
    summary: 'DORA figures of an environment (deploy frequency, lead time, failure rate, recovery, rework)',
  },
  quarantine: {
    module: '../src/cli/quarantine',
    summary: 'list quarantined (rolled-back) digests or lift one with a reason',
  },
  config: { module: '../src/cli/config', summary: 'config check: validate shipgate.config.yaml' },
  contract: {
    module: '../src/cli/contract',
    summary: "contract init / check: a running ECS service's deploy contract, read from AWS or checked",
  },
  doctor: {
    module: '../src/cli/doctor',
    summary:
      'check a deployed stack or the sandbox: GitLab, secrets, roles, contracts, event rules, webhooks',
  },
  redrive: {
    module: '../src/cli/redrive',
    summary: 'replay events that landed in the on-failure destination (failed handler invocations)',
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `Usage: shipgate <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nshipgate <command> --help (or shipgate help <command>) describes a command. Commands that call the\nShipgate API find it at --url, else SHIPGATE_API_URL, else the sandbox on http://127.0.0.1:$PORT (3000).\n`;
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  // `shipgate help <command>` is `shipgate <command> --help`.
  const [name, args] =
    first === 'help' && rest[0] && COMMANDS[rest[0]] ? [rest[0], ['--help']] : [first, rest];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`shipgate: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  // `require`, not `import()`: the same line then loads TypeScript under `node --import tsx` and under the
  // in-process CommonJS hook of bin/shipgate-cli.js (the project compiles to CommonJS either way).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(command.module) as { run(args: string[]): Promise<number> };
  return mod.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`shipgate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
