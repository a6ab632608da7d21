import { z } from 'zod';
import { InvalidInputError } from '../core/errors';
import { alertPriority } from '../core/events';

/**
 * A desk's configuration. Stored as JSONB, one row per version; a change is a patch merged
 * into the latest version and validated here as a whole before it is written.
 */
const symbol = z.string().regex(/^[A-Za-z0-9._#-]{1,32}$/, 'must be 1-32 letters, digits or . _ # -');
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day written HH:MM');

export const tenantConfigSchema = z
  .strictObject({
    symbols: z
      .array(symbol)
      .min(1, 'must list at least one symbol')
      .max(50, 'may list at most 50 symbols')
      .refine((list) => new Set(list).size === list.length, 'must not repeat a symbol'),
    risk: z.strictObject({
      /** Largest position per symbol, in lots. */
      maxPositionSize: z.number().positive('must be greater than 0').max(1000, 'must be at most 1000 lots'),
      /** Trading pauses for the day once the day's loss reaches this share of equity. */
      maxDailyLossPct: z.number().positive('must be greater than 0').max(100, 'must be at most 100'),
      /** Trading stops once equity falls this far below its peak. */
      maxDrawdownPct: z.number().positive('must be greater than 0').max(100, 'must be at most 100'),
    }),
    /** Relative weight of each ensemble model; the engine normalises them to sum to 1. */
    modelWeights: z
      .record(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'model names are lower-case letters, digits and _'), z.number().min(0, 'must be 0 or more').max(1, 'must be at most 1'))
      .refine((weights) => Object.values(weights).some((w) => w > 0), 'at least one model needs a weight above 0'),
    alerts: z.strictObject({
      /** Alerts below this priority are not sent. */
      minPriority: alertPriority,
      /** Non-critical alerts are batched into one digest per this many minutes (0: send at once). */
      digestMinutes: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(1440, 'must be at most 1440 (a day)'),
      /** Only critical alerts are sent between start and end (UTC); null: no quiet hours. */
      quietHours: z.strictObject({ start: clock, end: clock }).nullable(),
    }),
  })
  .refine((config) => config.risk.maxDailyLossPct <= config.risk.maxDrawdownPct, {
    message: 'must not exceed risk.maxDrawdownPct',
    path: ['risk', 'maxDailyLossPct'],
  });

export type TenantConfig = z.infer<typeof tenantConfigSchema>;

/** A change: objects merge key by key, anything else replaces (see mergeConfig). */
export interface TenantConfigPatch {
  symbols?: string[];
  risk?: Partial<TenantConfig['risk']>;
  modelWeights?: Record<string, number>;
  alerts?: Partial<TenantConfig['alerts']>;
}

export const DEFAULT_TENANT_CONFIG: Readonly<TenantConfig> = deepFreeze({
  symbols: ['EURUSD'],
  risk: { maxPositionSize: 1, maxDailyLossPct: 2, maxDrawdownPct: 10 },
  modelWeights: { xgboost: 0.4, lstm: 0.3, random_forest: 0.3 },
  alerts: { minPriority: 'medium', digestMinutes: 15, quietHours: null },
} satisfies TenantConfig);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * Objects merge key by key; arrays, numbers, strings and null replace what was there
 * (so `{ symbols: ['XAUUSD'] }` replaces the list and `{ alerts: { quietHours: null } }`
 * clears quiet hours). `undefined` leaves a key alone.
 */
export function mergeConfig(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch === undefined ? base : structuredClone(patch);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(base[key]) ? mergeConfig(base[key], value) : structuredClone(value);
  }
  return out;
}

/** Validates a whole config; the error names the first offending field ("risk.maxDailyLossPct: …"). */
export function parseTenantConfig(value: unknown): TenantConfig {
  const result = tenantConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const where = issue.path.map(String).join('.') || 'config';
    return { field: where, message: issue.code === 'unrecognized_keys' ? `unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message };
  });
  const first = issues[0]!;
  throw new InvalidInputError('config_invalid', `${first.field}: ${first.message}`, { field: first.field, issues });
}

/** The stored JSON of a version, read through the current schema (new settings get their defaults). */
export function readStoredConfig(stored: unknown): TenantConfig {
  return parseTenantConfig(mergeConfig(DEFAULT_TENANT_CONFIG, stored));
}

export function isConfigPatch(value: unknown): value is TenantConfigPatch {
  return isPlainObject(value);
}
