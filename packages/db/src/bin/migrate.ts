import { createDb } from '../create-db';
import { migrateToLatest } from '../migrate';

// `pnpm db:migrate`: applies pending migrations to DATABASE_URL (or the embedded PGlite).
const database = createDb({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: process.env.PGLITE_DATA_DIR,
});
try {
  const { applied } = await migrateToLatest(database.db);
  console.log(
    applied.length
      ? `Applied ${applied.length} migration(s) to ${database.location}: ${applied.join(', ')}`
      : `${database.location} is up to date`,
  );
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await database.close();
}
