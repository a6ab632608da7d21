import { assertPositiveInt, type Cache } from '../ports';
import type { MemoryStore } from './store';

export class MemoryCache implements Cache {
  constructor(
    private readonly store: MemoryStore,
    private readonly namespace: string,
  ) {}

  private key(key: string): string {
    return `${this.namespace}kv:${key}`;
  }

  async get(key: string): Promise<string | null> {
    return this.store.get(this.key(key));
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs !== undefined) assertPositiveInt(ttlMs, 'ttlMs');
    this.store.set(this.key(key), value, ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    return this.store.delete(this.key(key));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    assertPositiveInt(ttlMs, 'ttlMs');
    if (this.store.get(this.key(key)) !== null) return false;
    this.store.set(this.key(key), value, ttlMs);
    return true;
  }
}
