import { loadConfig } from '../../lambdas/shared/config';

/** `shipgate config check [file]`: validates the configuration and prints a one-line summary. */
export async function run(args: string[]): Promise<number> {
  const [sub, file] = args;
  if (sub !== 'check') {
    process.stderr.write('Usage: shipgate config check [path/to/shipgate.config.yaml]\n');
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
