/**
 * The part of zod Shipgate uses, imported as `import * as z from '…/shared/zod'` everywhere instead of
 * `import { z } from 'zod'`.
 *
 * Why: zod's `z` namespace object carries `z.locales` — error messages in 40-odd languages, 264 KB of the
 * webhook Lambda's 588 KB — and a bundler must keep all of a namespace object it is handed. Named
 * re-exports let esbuild keep only what is used; English messages are installed here explicitly, since
 * zod's own `config(en())` lives in the module the bundle no longer takes whole.
 *
 * The functions come from `zod/mini`, zod's functional API: a classic schema carries every method
 * (`.optional()`, `.min()`, `.transform()`, …) and so pulls all of them into the bundle; a mini schema has
 * only `.check()`/`.parse()`, and wrappers and checks are functions (`z.optional(s)`, `s.check(z.minLength(1))`)
 * that esbuild keeps only when used.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

export {
  _default,
  array,
  boolean,
  catch,
  coerce,
  email,
  enum,
  extend,
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
  partial,
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
} from 'zod/mini';
export type { infer } from 'zod/mini';
export type * as core from 'zod/v4/core';

config(en());
