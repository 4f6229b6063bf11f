import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// Which client made each change (web, cli, mcp, script, or a REST caller's own
// name), so the trail reads "started by reviewer-bot (agent) via mcp".
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_log add column client text check (client ~ '^[a-z0-9][a-z0-9._-]{0,39}$')`.execute(
    db,
  );
}
