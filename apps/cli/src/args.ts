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
