import { apiRoleGrants } from '../grants';

// `pnpm db:grants ROLE DATABASE`: prints the SQL that gives the API's role what it needs.
const [role, database] = process.argv.slice(2);
if (!role || !database) {
  console.error('usage: pnpm db:grants ROLE DATABASE   (run its output as the schema owner)');
  process.exit(64);
}
for (const statement of apiRoleGrants(role, database)) console.log(`${statement};`);
