import type { AuditRow, DB, Kysely } from '@taskflow/db';
import { sql } from '@taskflow/db';
import { parseSnapshot, type Snapshot, stillRunning } from './snapshot';

/**
 * Reads audit rows in id order without ever stepping over one that may still commit.
 *
 * Audit ids come from a sequence when the row is inserted, but transactions commit in
 * any order: A takes id 10, B takes 11 and commits first. A reader that moved past 11
 * would never see 10. So each read takes the rows after the cursor and the snapshot it
 * saw them with, in one statement, and keeps only the contiguous run. At a missing id
 * it remembers the transactions that were running; once a later snapshot shows all of
 * them finished and the row still is not there, the id will never appear (its
 * transaction rolled back, or the sequence skipped it) and the reader moves past it.
 * A gap is never skipped in the read that first saw it, which also covers the instant
 * between a transaction drawing an id and getting its transaction id.
 */
export class SettledReader {
  /** Every id up to here has been read, or is known never to appear. */
  cursor: number;
  private gap: { id: number; waitingFor: bigint[] } | undefined;

  constructor(cursor: number) {
    this.cursor = cursor;
  }

  /** True while an id is missing whose transaction may still commit: poll again soon. */
  get waiting(): boolean {
    return this.gap !== undefined;
  }

  /** The settled rows after the cursor (at most `limit`), advancing the cursor past them. */
  async read(db: Kysely<DB>, limit: number): Promise<AuditRow[]> {
    const { rows } = await sql<AuditRow & { snapshot: string }>`
      with s as (select pg_current_snapshot()::text as snapshot)
      select s.snapshot, a.* from s
      left join lateral (
        select * from audit_log where id > ${this.cursor} order by id limit ${limit}
      ) a on true
      order by a.id`.execute(db);
    const first = rows[0];
    if (!first) throw new Error('the snapshot row is missing');
    const snapshot = parseSnapshot(first.snapshot);
    const settled: AuditRow[] = [];
    for (const { snapshot: _, ...row } of rows) {
      if (row.id == null) break; // no rows at all: the one row carries only the snapshot
      const id = Number(row.id);
      if (id !== this.cursor + 1 && !this.skipGap(snapshot)) break;
      this.cursor = id;
      this.gap = undefined;
      settled.push({ ...row, id } as AuditRow);
    }
    // Rows beyond a gap stay unread; the gap is noted (or re-checked) against this snapshot.
    if (settled.length < rows.length && rows[settled.length]?.id != null) this.noteGap(snapshot);
    return settled;
  }

  /** The missing id at cursor+1 is gone for good if what was running when it was seen has ended. */
  private skipGap(snapshot: Snapshot): boolean {
    const gap = this.gap;
    if (!gap || gap.id !== this.cursor + 1) return false;
    return gap.waitingFor.every((xid) => !stillRunning(xid, snapshot));
  }

  private noteGap(snapshot: Snapshot): void {
    const id = this.cursor + 1;
    if (this.gap?.id === id) return;
    this.gap = { id, waitingFor: snapshot.xip };
  }
}
