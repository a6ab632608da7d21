import { and, asc, eq, isNull, lt, or } from 'drizzle-orm';
import { InvalidInputError, NotFoundError } from '../../../core/errors';
import { randomToken, safeEqual, sha256Hex } from '../../../core/crypto';
import { schema, withDatabaseErrors, type Database } from '../../../db';

/**
 * Per-tenant bridge tokens: the secret an MT5 terminal's EA sends in `hello`. A token is
 * `tpb_` + 32 random bytes in base64url (43 characters); it is returned once by `issue` and
 * only its sha256 is stored, so a database dump does not let anyone connect a terminal.
 */
export interface BridgeTokenIdentity {
  tenantId: string;
  tokenId: string;
}

export interface IssuedBridgeToken {
  id: string;
  /** The plain token: shown once, never stored, never logged. */
  token: string;
}

export interface BridgeTokenInfo {
  id: string;
  tenantId: string;
  name: string;
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface BridgeTokens {
  issue(input: { tenantId: string; name: string; actor: string }): Promise<IssuedBridgeToken>;
  /** The token's tenant, or null for an unknown, malformed or revoked token or a suspended tenant. */
  verify(token: string): Promise<BridgeTokenIdentity | null>;
  /** Revokes the token; false when there is no such token or it was already revoked. */
  revoke(id: string): Promise<boolean>;
  /** The tenant's tokens (revoked ones included), oldest first; never the secret. */
  list(tenantId: string): Promise<BridgeTokenInfo[]>;
}

export interface BridgeTokensOptions {
  /** Clock for created/revoked/last-used times (tests pass a fake one). */
  now?: () => Date;
}

export const BRIDGE_TOKEN_PREFIX = 'tpb_';
const TOKEN_SHAPE = /^tpb_[A-Za-z0-9_-]{43}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Reconnect storms must not become one UPDATE per connection. */
const LAST_USED_RESOLUTION_MS = 60_000;

const { bridgeTokens, tenants } = schema;

export function createBridgeTokens(db: Database, options: BridgeTokensOptions = {}): BridgeTokens {
  const now = options.now ?? (() => new Date());

  return {
    async issue({ tenantId, name, actor }) {
      const label = name.trim();
      if (!UUID.test(tenantId)) throw new InvalidInputError('tenant_id_invalid', `tenant id must be a UUID, got "${tenantId}"`);
      if (label.length < 1 || label.length > 100) throw new InvalidInputError('bridge_token_name_invalid', 'a bridge token name must be 1-100 characters');
      if (actor.trim() === '') throw new InvalidInputError('actor_required', 'issuing a bridge token needs an actor');
      const token = `${BRIDGE_TOKEN_PREFIX}${randomToken(32)}`;
      return withDatabaseErrors(async () => {
        const [tenant] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).limit(1);
        if (!tenant) throw new NotFoundError('tenant_not_found', `no tenant with id ${tenantId}`);
        const [row] = await db
          .insert(bridgeTokens)
          .values({ tenantId, name: label, tokenHash: sha256Hex(token), createdBy: actor, createdAt: now() })
          .returning({ id: bridgeTokens.id });
        return { id: row!.id, token };
      });
    },

    async verify(token) {
      // The shape is public; rejecting a malformed token early reveals nothing secret.
      if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return null;
      const hash = sha256Hex(token);
      const [row] = await withDatabaseErrors(() =>
        db
          .select({ id: bridgeTokens.id, tenantId: bridgeTokens.tenantId, tokenHash: bridgeTokens.tokenHash, revokedAt: bridgeTokens.revokedAt, lastUsedAt: bridgeTokens.lastUsedAt, status: tenants.status })
          .from(bridgeTokens)
          .innerJoin(tenants, eq(tenants.id, bridgeTokens.tenantId))
          .where(eq(bridgeTokens.tokenHash, hash))
          .limit(1),
      );
      // The lookup is by hash (an attacker cannot steer which prefix of a hash matches);
      // the compare below keeps the final check constant-time all the same.
      if (!row || !safeEqual(row.tokenHash, hash) || row.revokedAt !== null || row.status !== 'active') return null;
      const at = now();
      if (row.lastUsedAt === null || at.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
        const staleBefore = new Date(at.getTime() - LAST_USED_RESOLUTION_MS);
        await withDatabaseErrors(() =>
          db
            .update(bridgeTokens)
            .set({ lastUsedAt: at })
            .where(and(eq(bridgeTokens.id, row.id), or(isNull(bridgeTokens.lastUsedAt), lt(bridgeTokens.lastUsedAt, staleBefore)))),
        );
      }
      return { tenantId: row.tenantId, tokenId: row.id };
    },

    async revoke(id) {
      if (!UUID.test(id)) return false;
      const rows = await withDatabaseErrors(() =>
        db
          .update(bridgeTokens)
          .set({ revokedAt: now() })
          .where(and(eq(bridgeTokens.id, id), isNull(bridgeTokens.revokedAt)))
          .returning({ id: bridgeTokens.id }),
      );
      return rows.length > 0;
    },

    async list(tenantId) {
      if (!UUID.test(tenantId)) throw new InvalidInputError('tenant_id_invalid', `tenant id must be a UUID, got "${tenantId}"`);
      return withDatabaseErrors(() =>
        db
          .select({
            id: bridgeTokens.id,
            tenantId: bridgeTokens.tenantId,
            name: bridgeTokens.name,
            createdBy: bridgeTokens.createdBy,
            createdAt: bridgeTokens.createdAt,
            revokedAt: bridgeTokens.revokedAt,
            lastUsedAt: bridgeTokens.lastUsedAt,
          })
          .from(bridgeTokens)
          .where(eq(bridgeTokens.tenantId, tenantId))
          .orderBy(asc(bridgeTokens.createdAt), asc(bridgeTokens.id)),
      );
    },
  };
}
