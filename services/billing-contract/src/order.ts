import { z } from 'zod';

const digits = (field: string, pattern: RegExp, hint: string) =>
  z
    .union([z.string(), z.number()], { error: `${field} is required: ${hint}` })
    .transform((v) => String(v).trim())
    .pipe(z.string().regex(pattern, `${field} must be ${hint}`));

/**
 * A billing order as carried on `billing_queue`, e.g. `{"user_id":"3","number_of_items":"5","total_amount":"180"}`.
 * Numbers or numeric strings are accepted and normalised to strings; unknown fields are ignored.
 */
export const billingOrderSchema = z.object({
  user_id: digits('user_id', /^[1-9]\d{0,17}$/, 'a positive integer such as "3"'),
  number_of_items: digits('number_of_items', /^[1-9]\d{0,8}$/, 'a positive integer such as "5"'),
  total_amount: digits(
    'total_amount',
    /^\d{1,10}(\.\d{1,2})?$/,
    'a non-negative amount with at most 2 decimals, such as "180" or "19.99"',
  ),
});

/** A validated order. */
export type BillingOrder = z.output<typeof billingOrderSchema>;
