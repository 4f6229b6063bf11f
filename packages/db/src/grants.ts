/** A PostgreSQL identifier, quoted. */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * What the API's own database role needs, and no more: read and write the
 * tables, append to audit_log. It owns nothing, so it can neither alter
 * audit_log nor touch its triggers; the schema's owner runs the migrations
 * and these statements.
 */
export function apiRoleGrants(role: string, database: string): string[] {
  const r = ident(role);
  return [
    `grant connect on database ${ident(database)} to ${r}`,
    `grant usage on schema public to ${r}`,
    `grant select, insert, update, delete on all tables in schema public to ${r}`,
    `grant usage, select on all sequences in schema public to ${r}`,
    `revoke update, delete, truncate, references, trigger on audit_log from ${r}`,
    // Tables and sequences that later migrations (run by the owner) create.
    `alter default privileges in schema public grant select, insert, update, delete on tables to ${r}`,
    `alter default privileges in schema public grant usage, select on sequences to ${r}`,
  ];
}
