import pg from 'pg';

export const TIMESTAMPTZ_OID = 1184;

/**
 * A timestamptz read from PostgreSQL: a Date that keeps the ISO text it was read
 * as. Every task the API sends carries two to six timestamps, and pg's parser
 * (a regex, then Date.UTC) followed by toISOString was 6% of a list's CPU; this
 * reads the text once, by slicing, and hands it back from toISOString (and so
 * from JSON.stringify) for as long as the time is unchanged.
 */
export class PgTimestamp extends Date {
  readonly #iso: string;
  readonly #ms: number;

  constructor(ms: number, iso: string) {
    super(ms);
    this.#ms = ms;
    this.#iso = iso;
  }

  override toISOString(): string {
    // A Date can be changed in place; then it is only a Date.
    return this.getTime() === this.#ms ? this.#iso : super.toISOString();
  }
}

const fallback = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date;

/** '2026-11-28 06:18:38.123456+00' and the like: what a UTC session sends for years 1000-9999. */
const UTC_TEXT = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?\+00$/;

/**
 * pg's text parser for timestamptz. The API's connections use TimeZone=UTC, so
 * PostgreSQL sends '+00'; anything else (another zone, BC, infinity) goes
 * through pg's own parser.
 */
export function parseTimestamptz(text: string): Date {
  if (!UTC_TEXT.test(text)) return fallback(text);
  // toISOString's form: milliseconds always, truncated as Date truncates them.
  const digits = text.length > 22 ? text.slice(20, text.length - 3) : '';
  const iso = `${text.slice(0, 10)}T${text.slice(11, 19)}.${`${digits}000`.slice(0, 3)}Z`;
  return new PgTimestamp(Date.parse(iso), iso);
}
