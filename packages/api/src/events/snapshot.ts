/**
 * A PostgreSQL snapshot as `pg_current_snapshot()::text` prints it: `xmin:xmax:xip,...`.
 * Transaction ids are xid8 (64-bit, never wrap), kept as bigint.
 */
export interface Snapshot {
  xmin: bigint;
  xmax: bigint;
  /** Transactions in progress when the snapshot was taken. */
  xip: bigint[];
}

export function parseSnapshot(text: string): Snapshot {
  const [xmin, xmax, xip = ''] = text.split(':');
  if (xmin === undefined || xmax === undefined) throw new Error(`not a snapshot: ${text}`);
  return {
    xmin: BigInt(xmin),
    xmax: BigInt(xmax),
    xip: xip === '' ? [] : xip.split(',').map((x) => BigInt(x)),
  };
}

/** Whether `xid`, which was running at some earlier snapshot, still runs at `snapshot`. */
export function stillRunning(xid: bigint, snapshot: Snapshot): boolean {
  return xid >= snapshot.xmin && (xid >= snapshot.xmax || snapshot.xip.includes(xid));
}
