import { describe, expect, it } from 'vitest';
import { createCipher, randomCode, sha256Hex } from '../../core';

describe('crypto', () => {
  const cipher = createCipher(Buffer.alloc(32, 7));

  it('round-trips a credential and never stores it in the clear', () => {
    const sealed = cipher.encrypt('broker-password-123');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(sealed).not.toContain('broker-password-123');
    expect(cipher.decrypt(sealed)).toBe('broker-password-123');
    expect(cipher.encrypt('broker-password-123')).not.toBe(sealed);
  });

  it('refuses a tampered value or the wrong key with a clear error', () => {
    const sealed = cipher.encrypt('secret');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('XXXXXX').toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'))).toThrowError(/cannot be decrypted/);
    expect(() => createCipher(Buffer.alloc(32, 8)).decrypt(sealed)).toThrowError(/cannot be decrypted/);
    expect(() => cipher.decrypt('garbage')).toThrowError(/malformed/);
  });

  it('makes invite codes without look-alike characters and hashes them', () => {
    const code = randomCode(12);
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{12}$/);
    expect(sha256Hex(code)).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256Hex(code)).not.toContain(code);
  });
});
