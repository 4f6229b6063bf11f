import { z } from 'zod';

export const LIMITS = {
  titleMax: 200,
  descriptionMax: 20_000,
  noteMax: 2_000,
  tagMax: 50,
  tagsMax: 20,
  slugMax: 64,
  nameMax: 120,
  workerIdMax: 255,
  searchMax: 200,
  pageMax: 100,
  pageDefault: 50,
  offsetMax: 1_000_000,
} as const;

/** An Idempotency-Key: 1 to 255 visible ASCII characters; a UUID fits, spaces and commas (a repeated header) do not. */
export const IDEMPOTENCY_KEY_PATTERN = /^[!-~]{1,255}$/;

/** The largest value of a PostgreSQL `integer` column (ids, versions). */
export const INT4_MAX = 2_147_483_647;

export const Id = z.number().int().positive().max(INT4_MAX);

// PostgreSQL refuses NUL in text and jsonb, and the driver would silently turn a
// lone UTF-16 surrogate into U+FFFD: both are refused before they reach it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether PostgreSQL can store `value` exactly as given. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/** The first `max` characters (code points: never half of a surrogate pair). */
export function truncateText(value: string, max: number): string {
  return value.length <= max ? value : Array.from(value).slice(0, max).join('');
}

/**
 * Every string a client sends is built on this one: text the database stores
 * unchanged, or a 400 that says why not.
 */
export const Text = z.string().refine(isStorableText, {
  message: 'Must not contain NUL characters or unpaired UTF-16 surrogates',
});

/** Timestamps travel as ISO-8601 strings with an offset (`...Z`). */
export const Timestamp = z.iso.datetime({ offset: true });

export const WorkerId = Text.trim().min(1).max(LIMITS.workerIdMax);

export const Slug = Text.trim()
  .min(2)
  .max(LIMITS.slugMax)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, {
    message: 'Use lowercase letters, digits and single hyphens (e.g. "web-app")',
  });

export const Note = Text.trim().max(LIMITS.noteMax);
export const RequiredNote = Text.trim()
  .min(1, { message: 'A note is required' })
  .max(LIMITS.noteMax);

export const Limit = z.number().int().min(1).max(LIMITS.pageMax).default(LIMITS.pageDefault);
export const Offset = z.number().int().min(0).max(LIMITS.offsetMax).default(0);

/**
 * An opaque keyset cursor from a list's `next_cursor`: pass it back, unchanged and
 * with the same filters and sort, for the next page. Not combinable with `offset`.
 * null means the first page (TanStack's infinite queries start from a null cursor).
 */
export const Cursor = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'Not a cursor from this API' });

/** One page of a list: `next_cursor` is null on the last page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * An optional reference where 0 (what HTML forms and many tools send for
 * "none") and null both clear it.
 */
export const OptionalTaskRef = z
  .union([z.literal(0), Id, z.null()])
  .transform((v) => (v === 0 ? null : v));

export const OptionalWorkerRef = z
  .union([z.literal(0), z.null(), Text.trim().max(LIMITS.workerIdMax)])
  .transform((v) => (v === 0 || v === null || v === '' || v === '0' ? null : v));

/** What a client may call itself in `x-taskflow-client`. */
export const CLIENT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,39}$/;
