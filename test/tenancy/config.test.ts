import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../core/errors';
import { DEFAULT_TENANT_CONFIG, mergeConfig, parseTenantConfig } from '../../tenancy';

describe('tenant config', () => {
  it('has valid, frozen defaults', () => {
    expect(parseTenantConfig(DEFAULT_TENANT_CONFIG)).toEqual(DEFAULT_TENANT_CONFIG);
    expect(Object.isFrozen(DEFAULT_TENANT_CONFIG.risk)).toBe(true);
  });

  it('merges objects key by key and replaces arrays and nulls', () => {
    const merged = mergeConfig(DEFAULT_TENANT_CONFIG, {
      symbols: ['XAUUSD'],
      risk: { maxPositionSize: 2 },
      alerts: { quietHours: { start: '22:00', end: '06:00' } },
    });
    expect(merged).toEqual({
      ...DEFAULT_TENANT_CONFIG,
      symbols: ['XAUUSD'],
      risk: { ...DEFAULT_TENANT_CONFIG.risk, maxPositionSize: 2 },
      alerts: { ...DEFAULT_TENANT_CONFIG.alerts, quietHours: { start: '22:00', end: '06:00' } },
    });
    const cleared = mergeConfig(merged, { alerts: { quietHours: null }, risk: { maxDrawdownPct: undefined } });
    expect((cleared as typeof DEFAULT_TENANT_CONFIG).alerts.quietHours).toBeNull();
    expect((cleared as typeof DEFAULT_TENANT_CONFIG).risk.maxDrawdownPct).toBe(DEFAULT_TENANT_CONFIG.risk.maxDrawdownPct);
    // The inputs are left alone.
    expect(DEFAULT_TENANT_CONFIG.symbols).toEqual(['EURUSD']);
  });

  it('names the first invalid setting', () => {
    const bad = mergeConfig(DEFAULT_TENANT_CONFIG, { risk: { maxPositionSize: -1 } });
    expect(() => parseTenantConfig(bad)).toThrow(InvalidInputError);
    expect(() => parseTenantConfig(bad)).toThrow('risk.maxPositionSize: must be greater than 0');
    expect(() => parseTenantConfig({ ...DEFAULT_TENANT_CONFIG, extra: 1 })).toThrow('config: unknown setting "extra"');
    expect(() => parseTenantConfig(mergeConfig(DEFAULT_TENANT_CONFIG, { symbols: ['EUR USD'] }))).toThrow(/^symbols\.0: /);
  });
});
