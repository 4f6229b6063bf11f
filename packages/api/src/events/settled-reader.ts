import type { AuditRow, DB, Kysely } from '@taskflow/db';
import { sql } from '@taskflow/db';
import { anyStillWriting, auditWriters } from './audit-writers';

/**
 * Reads audit rows in id order without ever stepping over one that may still commit.
 *
 * Audit ids come from a sequence when the row is inserted, but transactions commit in
 * any order: A takes id 10, B takes 11 and commits first. A reader that moved past 11
 * would never see 10. So a read keeps only the contiguous run after the cursor. At a
 * missing id it notes the transactions then writing the audit log (auditWriters): the
 * id's holder, if it still runs, is one of them. Once none of them is writing any more,
 * a read that still does not find the id knows it will never appear (its transaction
 * rolled back, or the sequence skipped it) and moves past it. The check comes before the
 * read, so a holder that committed meanwhile is seen by that read. A gap is never
 * skipped in the read that first saw it.
 */
export class SettledReader {
  /** Every id up to here has been read, or is known never to appear. */
  cursor: number;
  private gap: { id: number; writers: string[]; over: boolean } | undefined;

  constructor(cursor: number) {
    this.cursor = cursor;
  }

  /** True while an id is missing whose transaction may still commit: poll again soon. */
  get waiting(): boolean {
    return this.gap !== undefined;
  }

  /** The settled rows after the cursor (at most `limit`), advancing the cursor past them. */
  async read(db: Kysely<DB>, limit: number): Promise<AuditRow[]> {
    const gap = this.gap;
    if (gap && !gap.over) gap.over = !(await anyStillWriting(db, gap.writers));
    const { rows } = await sql<AuditRow>`
      select * from audit_log where id > ${this.cursor} order by id limit ${limit}`.execute(db);
    const settled: AuditRow[] = [];
    for (const row of rows) {
      const id = Number(row.id);
      if (id !== this.cursor + 1 && !(this.gap?.id === this.cursor + 1 && this.gap.over)) break;
      this.cursor = id;
      this.gap = undefined;
      settled.push({ ...row, id } as AuditRow);
    }
    // Rows beyond a gap stay unread; a new gap notes who may still fill it.
    if (settled.length < rows.length && this.gap?.id !== this.cursor + 1) {
      this.gap = { id: this.cursor + 1, writers: await auditWriters(db), over: false };
    }
    return settled;
  }
}
