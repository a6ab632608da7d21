import { assertPositiveInt, type LockManager } from '../ports';
import type { MemoryStore } from './store';

/** Leases as expiring keys in the store, same rules as Redis: only the owner renews or releases. */
export class MemoryLockManager implements LockManager {
  constructor(
    private readonly store: MemoryStore,
    private readonly namespace: string,
  ) {}

  private key(key: string): string {
    return `${this.namespace}lock:${key}`;
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    assertPositiveInt(ttlMs, 'ttlMs');
    const current = this.store.get(this.key(key));
    if (current !== null && current !== owner) return false;
    this.store.set(this.key(key), owner, ttlMs);
    return true;
  }

  async renew(key: string, owner: string, ttlMs: number): Promise<boolean> {
    assertPositiveInt(ttlMs, 'ttlMs');
    if (this.store.get(this.key(key)) !== owner) return false;
    return this.store.expire(this.key(key), ttlMs);
  }

  async release(key: string, owner: string): Promise<boolean> {
    if (this.store.get(this.key(key)) !== owner) return false;
    return this.store.delete(this.key(key));
  }

  async owner(key: string): Promise<string | null> {
    return this.store.get(this.key(key));
  }
}
