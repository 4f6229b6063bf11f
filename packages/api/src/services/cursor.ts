import { createHash } from 'node:crypto';
import type { Page } from '@taskflow/contracts';
import { z } from 'zod';
import { badRequest } from '../errors';

/**
 * Keyset cursors: where the last row of a page sat in its list's order (its sort
 * value and id), plus a fingerprint of the list it was made for (which procedure,
 * filters and sort), so a cursor reused on another list is refused, not misread.
 */
export interface Position {
  /** The sort column's value as PostgreSQL prints it (exact: no millisecond rounding). */
  v: string | number | null;
  /** The row's id (a worker's id is text; audit and delivery ids are int8, read as numbers). */
  i: number | string;
}

/** PostgreSQL stores no NUL character: a text value holding one was never printed by it. */
const NO_NUL = /^[^\0]*$/;

const Payload = z.strictObject({
  f: z.string().length(16),
  v: z.union([z.string().max(400).regex(NO_NUL), z.number().int(), z.null()]),
  i: z.union([
    z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    z.string().min(1).max(255).regex(NO_NUL),
  ]),
});

/**
 * A timestamptz as PostgreSQL prints it (5+ digit years, BC and an offset of any zone
 * included), or an infinity. The fingerprint is no secret: a value hand-written into a
 * cursor ('yesterday', 'now') would otherwise be read by PostgreSQL as a position.
 */
export const PRINTED_TIMESTAMP =
  /^(?:\d{4,}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?[+-]\d\d(?::\d\d){0,2}(?: BC)?|-?infinity)$/;

/** A smallint as PostgreSQL prints it. */
export const PRINTED_SMALLINT = /^-?\d{1,5}$/;

/** A short digest of the list's identity: kind plus every filter and sort option. */
function fingerprint(kind: string, filters: Record<string, unknown>): string {
  const stable = Object.keys(filters)
    .sort()
    .filter((k) => filters[k] !== undefined)
    .map((k) => [k, filters[k]]);
  return createHash('sha256')
    .update(JSON.stringify([kind, stable]))
    .digest('base64url')
    .slice(0, 16);
}

export function encodeCursor(
  kind: string,
  filters: Record<string, unknown>,
  position: Position,
): string {
  const payload = { f: fingerprint(kind, filters), v: position.v, i: position.i };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** What a list's positions hold: the id's type, and whether the sort value may be null or absent. */
export interface PositionShape {
  /** int: an int4 id; bigint: an int8 id (exact as a number below 2^53); text: a worker's. */
  id: 'int' | 'bigint' | 'text';
  value: 'text' | 'nullable' | 'none';
  /** What a sort value must look like, as PostgreSQL prints the column; any text if absent. */
  printed?: RegExp | undefined;
}

/** The largest int4: the most an id of tasks, projects or webhooks can be. */
export const INT4_MAX = 2_147_483_647;

function fits(position: Position, shape: PositionShape): boolean {
  if (typeof position.i !== (shape.id === 'text' ? 'string' : 'number')) return false;
  if (shape.id === 'int' && (position.i as number) > INT4_MAX) return false;
  if (shape.value === 'none') return position.v === null;
  if (typeof position.v === 'string') return shape.printed?.test(position.v) ?? true;
  return shape.value === 'nullable' && position.v === null;
}

/** The position a cursor names; 400 when it is malformed or was made for another list. */
export function decodeCursor(
  kind: string,
  filters: Record<string, unknown>,
  cursor: string,
  shape: PositionShape,
): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('cursor is malformed: pass back a next_cursor unchanged');
  }
  const result = Payload.safeParse(parsed);
  if (!result.success || !fits(result.data, shape))
    throw badRequest('cursor is malformed: pass back a next_cursor unchanged');
  if (result.data.f !== fingerprint(kind, filters)) {
    throw badRequest(
      'cursor was made for another list: use it with the same filters and sort it came from',
    );
  }
  return { v: result.data.v, i: result.data.i };
}

/** Offset and cursor are two ways to say where a page starts: one at a time. */
export function refuseCursorWithOffset(input: { cursor?: string | null; offset: number }): void {
  if (input.cursor != null && input.offset > 0) {
    throw badRequest('Pass either cursor or offset, not both');
  }
}

/**
 * Rows were fetched with limit + 1: the extra one only says whether a next page
 * exists; the cursor points at the last row kept.
 */
export function pageOf<R, T>(
  rows: R[],
  limit: number,
  toItem: (row: R) => T,
  cursorAt: (row: R) => string,
): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return {
    items: kept.map(toItem),
    next_cursor: more && last !== undefined ? cursorAt(last) : null,
  };
}
