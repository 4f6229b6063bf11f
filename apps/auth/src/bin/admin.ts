import { join } from 'node:path';
import { createDialect } from '@taskflow/db';
import { Kysely } from 'kysely';
import { DATA_DIR } from '../config';

/**
 * `pnpm --filter @taskflow/auth admin promote|demote EMAIL`: makes a person an
 * admin, or no longer one, straight in the identity database. Whoever can run
 * it holds the database's credentials (DATABASE_URL, or the PGlite folder), so
 * it needs no sign-in and trusts no typed address.
 */

const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 4, invalid: 7 } as const;

interface AuthTables {
  user: { id: string; email: string; name: string; role: string; kind: string; updatedAt: Date };
  session: { userId: string };
}

const USAGE = `usage: pnpm --filter @taskflow/auth admin promote EMAIL
       pnpm --filter @taskflow/auth admin demote EMAIL

Runs against DATABASE_URL, or the embedded PGlite folder (AUTH_PGLITE_DATA_DIR,
default .data/auth-pglite; stop the auth service first, PGlite has one user).
Demoting also signs the person out everywhere.`;

async function setRole(
  db: Kysely<AuthTables>,
  email: string,
  role: 'admin' | 'user',
): Promise<number> {
  const user = await db
    .selectFrom('user')
    .select(['id', 'email', 'name', 'role', 'kind'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
  if (!user) {
    console.error(`No account with the email ${email}.`);
    return EXIT.notFound;
  }
  if (user.kind === 'agent') {
    console.error(`${user.email} is an agent; agents cannot be admins.`);
    return EXIT.invalid;
  }
  if (user.role === role) {
    console.log(
      `${user.name} <${user.email}> is already ${role === 'admin' ? 'an admin' : 'not an admin'}.`,
    );
    return EXIT.ok;
  }
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('user')
      .set({ role, updatedAt: new Date() })
      .where('id', '=', user.id)
      .execute();
    // Sessions remember the role; a demoted admin signs in again as a user.
    if (role === 'user') await trx.deleteFrom('session').where('userId', '=', user.id).execute();
  });
  console.log(
    role === 'admin'
      ? `${user.name} <${user.email}> is now an admin (from their next token).`
      : `${user.name} <${user.email}> is no longer an admin and has been signed out.`,
  );
  return EXIT.ok;
}

async function main(argv: string[]): Promise<number> {
  const [command, email, ...extra] = argv;
  if (command === '--help' || command === '-h') {
    console.log(USAGE);
    return EXIT.ok;
  }
  if ((command !== 'promote' && command !== 'demote') || !email || extra.length > 0) {
    console.error(USAGE);
    return EXIT.usage;
  }
  const handle = createDialect({
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: process.env.AUTH_PGLITE_DATA_DIR || join(DATA_DIR, 'auth-pglite'),
    maxConnections: 1,
  });
  const db = new Kysely<AuthTables>({ dialect: handle.dialect });
  try {
    return await setRole(db, email, command === 'promote' ? 'admin' : 'user');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(
      /relation "user" does not exist/.test(message)
        ? `No accounts in ${handle.location}: start the auth service once to create its tables.`
        : `Cannot ${command} ${email} in ${handle.location}: ${message}`,
    );
    return EXIT.failure;
  } finally {
    await db.destroy();
  }
}

process.exitCode = await main(process.argv.slice(2));
