import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig, type ShipgateConfig } from '../lambdas/shared/config';
import { ConfigError } from '../lambdas/shared/errors';

/** A Shipgate config file as written (`document`) and as validated (`config`). */
export interface ConfigDocument {
  /** Absolute path of the file read. */
  readonly path: string;
  /** The parsed YAML before validation: what gets inlined into the Lambda bundles. */
  readonly document: unknown;
  /** The validated, defaulted configuration (durations in seconds). */
  readonly config: ShipgateConfig;
}

/**
 * Reads and validates a config file for synthesis. The Lambdas re-validate the same document at cold start
 * (`loadConfig` on `SHIPGATE_CONFIG_JSON`), so the raw document is kept: the validated form has durations
 * already converted to seconds and would not parse again.
 * @throws ConfigError naming every wrong path (see `parseConfig`).
 * @example const { config, document } = readConfigDocument('shipgate.config.yaml');
 */
export function readConfigDocument(path: string): ConfigDocument {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `Cannot read the Shipgate config at ${file}: ${(err as Error).message}. Pass another file with "-c config=<path>" or SHIPGATE_CONFIG.`,
      { cause: err },
    );
  }
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return { path: file, document, config: parseConfig(document, file) };
}
