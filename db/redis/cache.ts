import type { Redis } from 'ioredis';
import { assertPositiveInt, type Cache } from '../ports';
import { callRedis } from './errors';

export class RedisCache implements Cache {
  constructor(
    private readonly client: Redis,
    private readonly namespace: string,
  ) {}

  private key(key: string): string {
    return `${this.namespace}kv:${key}`;
  }

  async get(key: string): Promise<string | null> {
    return callRedis('cache get', () => this.client.get(this.key(key)));
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) {
      await callRedis('cache set', () => this.client.set(this.key(key), value));
      return;
    }
    assertPositiveInt(ttlMs, 'ttlMs');
    await callRedis('cache set', () => this.client.set(this.key(key), value, 'PX', ttlMs));
  }

  async delete(key: string): Promise<boolean> {
    return (await callRedis('cache delete', () => this.client.del(this.key(key)))) > 0;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    assertPositiveInt(ttlMs, 'ttlMs');
    return (await callRedis('cache setIfAbsent', () => this.client.set(this.key(key), value, 'PX', ttlMs, 'NX'))) === 'OK';
  }
}
