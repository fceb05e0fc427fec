import { loadConfig } from '../../lambdas/shared/config';
import { parseCommand } from './args';

const USAGE = `Usage: shipgate config check [path/to/shipgate.config.yaml]

Validates the configuration (default: SHIPGATE_CONFIG, else ./shipgate.config.yaml) as synth, the Lambdas
and the sandbox do, and prints a one-line summary; an invalid file exits 1 with each error's path.
`;

/** `shipgate config check [file]`: validates the configuration and prints a one-line summary. */
export async function run(args: string[]): Promise<number> {
  let sub: string | undefined;
  let file: string | undefined;
  try {
    const { values, positionals } = parseCommand(args, {}, 2);
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    [sub, file] = positionals;
  } catch (err) {
    process.stderr.write(`shipgate config: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (sub !== 'check') {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = loadConfig(file);
  process.stdout.write(
    `ok: ${config.projects.length} projects, ${Object.keys(config.services).length} services, environments ${config.environments
      .map((e) => e.name)
      .join(' → ')}\n`,
  );
  return 0;
}
