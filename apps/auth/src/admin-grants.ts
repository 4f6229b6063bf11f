import type { BetterAuthOptions, BetterAuthPlugin } from 'better-auth';
import type { AuthConfig } from './config';

type DatabaseHooks = NonNullable<BetterAuthOptions['databaseHooks']>;
type HookContext = Parameters<
  NonNullable<NonNullable<NonNullable<DatabaseHooks['user']>['create']>['before']>
>[1];

interface UserFields {
  email: string;
  emailVerified?: boolean;
  role?: unknown;
  kind?: unknown;
}

/** The one grant a database hands out once: the first account's admin role. */
const FIRST_ADMIN = 'first-admin';

/**
 * A table with one row per grant already given. Its unique column is what
 * serializes concurrent first sign-ups: of any number of them, one insert
 * wins and the others find the grant taken.
 */
export const adminGrantsPlugin = {
  id: 'taskflow-admin-grants',
  schema: {
    adminGrant: {
      fields: {
        grant: { type: 'string', unique: true, required: true },
        email: { type: 'string', required: true },
        createdAt: { type: 'date', required: true },
      },
    },
  },
} satisfies BetterAuthPlugin;

/**
 * Outside production, the first person to sign up on an empty database (and
 * no ADMIN_EMAILS configured) becomes an admin. The count says "empty"; the
 * grant's unique row says "and nobody else got there first".
 */
async function claimFirstAdmin(
  config: AuthConfig,
  email: string,
  ctx: HookContext,
): Promise<boolean> {
  if (config.env === 'production' || config.adminEmails.length > 0 || !ctx) return false;
  const adapter = ctx.context.adapter;
  if ((await adapter.count({ model: 'user' })) > 0) return false;
  try {
    await adapter.create({
      model: 'adminGrant',
      data: { grant: FIRST_ADMIN, email, createdAt: new Date() },
    });
    return true;
  } catch {
    // The unique grant is taken: another sign-up won.
    return false;
  }
}

/** ADMIN_EMAILS names an admin only once the address is proven to be theirs. */
function listedAndVerified(config: AuthConfig, user: UserFields): boolean {
  return user.emailVerified === true && config.adminEmails.includes(user.email.toLowerCase());
}

/** Who becomes an admin, and when: never because of an address someone typed. */
export function adminGrantHooks(config: AuthConfig): DatabaseHooks {
  return {
    user: {
      create: {
        before: async (user, ctx) => {
          const fields = user as UserFields;
          if (fields.kind === 'agent') return { data: user };
          const admin =
            listedAndVerified(config, fields) ||
            (await claimFirstAdmin(config, user.email.toLowerCase(), ctx));
          return { data: { ...user, role: admin ? 'admin' : 'user', kind: 'human' } };
        },
      },
      update: {
        // E.g. GET /verify-email: a listed address that is now verified becomes an admin.
        after: async (user, ctx) => {
          const fields = user as UserFields & { id: string };
          if (!ctx || fields.kind === 'agent' || fields.role === 'admin') return;
          if (!listedAndVerified(config, fields)) return;
          await ctx.context.internalAdapter.updateUser(fields.id, { role: 'admin' });
        },
      },
    },
  };
}
