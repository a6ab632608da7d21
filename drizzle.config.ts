import { defineConfig } from 'drizzle-kit';

/**
 * drizzle-kit reads this file (`npx drizzle-kit generate`). Generating migrations needs no
 * database; DATABASE_URL is only used by drizzle-kit's own `studio`/`check` commands.
 * The application applies the committed migrations itself (db/postgres/client.ts).
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/postgres/schema.ts',
  out: './db/postgres/migrations',
  ...(process.env.DATABASE_URL ? { dbCredentials: { url: process.env.DATABASE_URL } } : {}),
  strict: true,
  verbose: true,
});
