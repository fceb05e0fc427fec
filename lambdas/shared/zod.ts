/**
 * The part of zod Shipgate uses, imported as `import * as z from '…/shared/zod'` everywhere instead of
 * `import { z } from 'zod'`.
 *
 * Why: zod's `z` namespace object carries `z.locales` — error messages in 40-odd languages, 264 KB of the
 * webhook Lambda's 588 KB — and a bundler must keep all of a namespace object it is handed. Named
 * re-exports let esbuild keep only what is used; English messages are installed here explicitly, since
 * zod's own `config(en())` lives in the module the bundle no longer takes whole.
 */
import { config } from 'zod';
import { en } from 'zod/locales';

export {
  _default,
  array,
  boolean,
  catch,
  coerce,
  email,
  enum,
  gte,
  int,
  iso,
  literal,
  looseObject,
  lte,
  maxLength,
  minLength,
  NEVER,
  nonnegative,
  nullable,
  nullish,
  number,
  object,
  optional,
  partialRecord,
  pipe,
  record,
  refine,
  regex,
  startsWith,
  strictObject,
  string,
  superRefine,
  transform,
  union,
  unknown,
  url,
} from 'zod';
export type { infer } from 'zod';
export type * as core from 'zod/v4/core';

config(en());
