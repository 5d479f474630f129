import { z } from 'zod';

/** `true`/`false`, `1`/`0`, `yes`/`no`. */
export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** An http:// or https:// URL, without trailing slashes. */
export const httpUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http:// or https:// URL')
  .transform((value) => value.replace(/\/+$/, ''));

/** Base64 of at least 32 bytes, decoded. */
export const base64Secret = z
  .string()
  .transform((value) => Buffer.from(value, 'base64'))
  .refine((value) => value.length >= 32, 'must be base64 of at least 32 bytes');

/** A whole number of seconds, at least 1 (each variable sets its maximum). */
export const seconds = z.coerce.number({ error: 'must be a number of seconds' }).int().min(1);

/** Text parsed by `parse`; the errors `isSyntaxError` recognises become issues of the variable, with their message. */
export function parsedText<T>(parse: (text: string) => T, isSyntaxError: (error: unknown) => error is Error) {
  return z.string().transform((value, context) => {
    try {
      return parse(value);
    } catch (error) {
      if (!isSyntaxError(error)) throw error;
      context.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
  });
}
