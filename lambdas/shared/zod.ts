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
  array,
  boolean,
  coerce,
  email,
  enum,
  iso,
  literal,
  looseObject,
  NEVER,
  number,
  object,
  partialRecord,
  record,
  string,
  union,
  unknown,
  url,
} from 'zod';
export type { infer } from 'zod';
export type * as core from 'zod/v4/core';

config(en());
