import { CliError, EXIT } from './exit-codes';

/** A string option's value (parseArgs gives booleans for flags). */
export const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);

export function int(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n))
    throw new CliError(`${what} must be a whole number, not "${value}"`, EXIT.usage);
  return n;
}

/** A positive whole number: a task's id, by default. */
export function id(value: string | undefined, what = 'ID'): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CliError(`${what} must be a positive whole number, not "${value ?? ''}"`, EXIT.usage);
  return n;
}
