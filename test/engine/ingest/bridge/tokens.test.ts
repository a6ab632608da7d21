import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../../core/crypto';
import { openDatabase, schema, type DatabaseHandle } from '../../../../db';
import { createBridgeTokens, type BridgeServer, type BridgeTokens } from '../../../../engine/ingest/bridge';
import { createTestDatabase } from '../../../support/services';
import { SimulatedEa, silentLogger, startBridge, tickSeries, until } from './support';

let database: { url: string; drop: () => Promise<void> };
let handle: DatabaseHandle;
let clock = new Date('2025-06-02T09:00:00Z');
let tokens: BridgeTokens;

async function tenant(name: string, status: 'active' | 'suspended' = 'active'): Promise<string> {
  const [row] = await handle.db.insert(schema.tenants).values({ name, status }).returning({ id: schema.tenants.id });
  return row!.id;
}

beforeAll(async () => {
  database = await createTestDatabase();
  handle = await openDatabase({ databaseUrl: database.url, dataDir: '/nonexistent', logger: silentLogger });
  await handle.migrate();
  tokens = createBridgeTokens(handle.db, { now: () => clock });
});

afterAll(async () => {
  await handle?.close();
  await database?.drop();
});

describe('bridge tokens (Postgres)', () => {
  it('issues a token that verifies to its tenant and stores only its hash', async () => {
    const tenantId = await tenant('Desk A');
    const { id, token } = await tokens.issue({ tenantId, name: 'London VPS', actor: 'telegram:42' });
    expect(token).toMatch(/^tpb_[A-Za-z0-9_-]{43}$/);
    expect(await tokens.verify(token)).toEqual({ tenantId, tokenId: id });

    const rows = await handle.db.execute(sql`select * from bridge_tokens where id = ${id}`);
    const stored = JSON.stringify(rows.rows);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(token.slice(4));
    expect(rows.rows[0]).toMatchObject({ token_hash: sha256Hex(token), name: 'London VPS', created_by: 'telegram:42', tenant_id: tenantId });
  });

  it('verifies nothing for a wrong, malformed, revoked or suspended-tenant token', async () => {
    const tenantId = await tenant('Desk B');
    const { id, token } = await tokens.issue({ tenantId, name: 'EA', actor: 'operator' });
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(await tokens.verify(flipped)).toBeNull();
    expect(await tokens.verify('')).toBeNull();
    expect(await tokens.verify(token.slice(4))).toBeNull();
    expect(await tokens.verify(`${token}x`)).toBeNull();

    expect(await tokens.revoke(id)).toBe(true);
    expect(await tokens.revoke(id)).toBe(false);
    expect(await tokens.revoke('not-a-uuid')).toBe(false);
    expect(await tokens.verify(token)).toBeNull();

    const suspended = await tenant('Desk S', 'suspended');
    const other = await tokens.issue({ tenantId: suspended, name: 'EA', actor: 'operator' });
    expect(await tokens.verify(other.token)).toBeNull();
  });

  it('lists a tenant’s tokens without secrets and refreshes last_used_at at most once a minute', async () => {
    const tenantId = await tenant('Desk C');
    const first = await tokens.issue({ tenantId, name: 'one', actor: 'operator' });
    clock = new Date(clock.getTime() + 1_000);
    const second = await tokens.issue({ tenantId, name: 'two', actor: 'operator' });
    await tokens.revoke(second.id);

    const t0 = clock;
    await tokens.verify(first.token);
    clock = new Date(t0.getTime() + 30_000);
    await tokens.verify(first.token);
    let listed = await tokens.list(tenantId);
    expect(listed.map((t) => [t.name, t.lastUsedAt?.toISOString() ?? null, t.revokedAt === null])).toEqual([
      ['one', t0.toISOString(), true],
      ['two', null, false],
    ]);
    expect(JSON.stringify(listed)).not.toContain(first.token);

    clock = new Date(t0.getTime() + 61_000);
    await tokens.verify(first.token);
    listed = await tokens.list(tenantId);
    expect(listed[0]!.lastUsedAt!.toISOString()).toBe(clock.toISOString());
  });

  it('refuses to issue for an unknown tenant or without a name', async () => {
    await expect(tokens.issue({ tenantId: '00000000-0000-4000-8000-00000000dead', name: 'x', actor: 'operator' })).rejects.toMatchObject({ code: 'tenant_not_found' });
    await expect(tokens.issue({ tenantId: 'nope', name: 'x', actor: 'operator' })).rejects.toMatchObject({ code: 'tenant_id_invalid' });
    const tenantId = await tenant('Desk D');
    await expect(tokens.issue({ tenantId, name: '  ', actor: 'operator' })).rejects.toMatchObject({ code: 'bridge_token_name_invalid' });
  });

  it('lets an EA in with an issued token and keeps a revoked one out', async () => {
    const tenantId = await tenant('Desk E');
    const { id, token } = await tokens.issue({ tenantId, name: 'Frankfurt', actor: 'operator' });
    let bridge: BridgeServer | undefined;
    try {
      const started = await startBridge({ verifyToken: (t) => tokens.verify(t) });
      bridge = started.bridge;
      const ea = new SimulatedEa({ port: bridge.port, token, account: '901' });
      await ea.connect();
      await ea.write(`${SimulatedEa.tickLine(tickSeries('EURUSD', 1)[0]!)}\n`);
      await until(() => started.ticks.length === 1);
      expect(started.ticks[0]!.session).toMatchObject({ tenantId, tokenId: id, account: '901' });

      await tokens.revoke(id);
      expect(bridge.disconnect({ tokenId: id })).toBe(1);
      await ea.until(() => ea.closed);
      const again = new SimulatedEa({ port: bridge.port, token, account: '901' });
      await again.connect();
      await again.until(() => again.closed);
      expect(again.received[0]).toMatchObject({ type: 'error', reason: 'unauthorized' });
    } finally {
      await bridge?.close();
    }
  });
});
