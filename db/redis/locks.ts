import type { Redis } from 'ioredis';
import { assertPositiveInt, type LockManager } from '../ports';
import { callRedis } from './errors';
import { acquireScript, releaseScript, renewScript } from './scripts';

/** Leases as keys holding the owner's id with a PX expiry; renew and release compare the owner first (Lua). */
export class RedisLockManager implements LockManager {
  constructor(
    private readonly client: Redis,
    private readonly namespace: string,
  ) {}

  private key(key: string): string {
    return `${this.namespace}lock:${key}`;
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    assertPositiveInt(ttlMs, 'ttlMs');
    return (await callRedis('lock acquire', () => acquireScript.run(this.client, [this.key(key)], [owner, ttlMs]))) === 1;
  }

  async renew(key: string, owner: string, ttlMs: number): Promise<boolean> {
    assertPositiveInt(ttlMs, 'ttlMs');
    return (await callRedis('lock renew', () => renewScript.run(this.client, [this.key(key)], [owner, ttlMs]))) === 1;
  }

  async release(key: string, owner: string): Promise<boolean> {
    return (await callRedis('lock release', () => releaseScript.run(this.client, [this.key(key)], [owner]))) === 1;
  }

  async owner(key: string): Promise<string | null> {
    return callRedis('lock owner', () => this.client.get(this.key(key)));
  }
}
