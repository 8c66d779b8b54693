import { z } from 'zod';

/**
 * Text PostgreSQL can store. It refuses NUL (U+0000) in `text` and `jsonb` (SQLSTATE 22021,
 * 22P05) and an unpaired UTF-16 surrogate in `jsonb` (22P02); accepted at the edge, either would
 * reach a recording activity and be refused on every retry. With the `u` flag a surrogate pair is
 * one code point, so `\p{Cs}` matches only a surrogate that is not part of a pair.
 */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !/\p{Cs}/u.test(s);
}

export const unstorableTextMessage = 'must not contain NUL (U+0000) or an unpaired UTF-16 surrogate';

/**
 * The one string builder for text that comes from outside (request bodies, query and path
 * parameters, workflow inputs): `z.string()` that refuses what PostgreSQL cannot store. Chain the
 * usual checks on it: `safeText().trim().min(1).max(200)`.
 */
export const safeText = () => z.string().refine(isStorableText, unstorableTextMessage);
