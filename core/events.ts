import { z } from 'zod';

/**
 * The one event union on the bus. Producers build these objects; consumers parse what they
 * read with `busEvent` at the edge, so a malformed entry is rejected with a reason instead
 * of travelling further.
 */
const symbol = z.string().regex(/^[A-Za-z0-9._#-]{1,32}$/, 'symbol: 1-32 letters, digits or . _ # -');
const timeMs = z.number().int().nonnegative();
const price = z.number().finite().positive();

export const tickEvent = z.object({
  type: z.literal('tick'),
  symbol,
  timeMs,
  bid: price,
  ask: price,
  last: z.number().finite().nonnegative().default(0),
  volume: z.number().finite().nonnegative().default(0),
  source: z.string().min(1).max(64),
});

export const timeframe = z.enum(['M1', 'M5', 'M15', 'H1', 'H4', 'D1']);

export const barEvent = z.object({
  type: z.literal('bar.closed'),
  symbol,
  timeframe,
  timeMs,
  open: price,
  high: price,
  low: price,
  close: price,
  tickVolume: z.number().int().nonnegative(),
  spread: z.number().finite().nonnegative(),
});

export const feedStatusEvent = z.object({
  type: z.literal('feed.status'),
  symbol,
  source: z.string().min(1).max(64),
  status: z.enum(['up', 'down']),
  atMs: timeMs,
  reason: z.string().max(200).optional(),
});

export const tenantCreatedEvent = z.object({
  type: z.literal('tenant.created'),
  tenantId: z.string().uuid(),
  name: z.string(),
  plan: z.enum(['free', 'pro', 'enterprise']),
  atMs: timeMs,
});

export const memberJoinedEvent = z.object({
  type: z.literal('member.joined'),
  tenantId: z.string().uuid(),
  userId: z.string().uuid(),
  role: z.enum(['tenant_admin', 'portfolio_manager', 'analyst', 'api_user']),
  atMs: timeMs,
});

export const alertPriority = z.enum(['critical', 'high', 'medium', 'low']);

export const alertEvent = z.object({
  type: z.literal('alert'),
  alertId: z.string().min(1).max(128),
  tenantId: z.string().uuid().nullable(),
  priority: alertPriority,
  kind: z.enum(['price', 'signal', 'risk', 'system', 'trade']),
  symbol: symbol.optional(),
  title: z.string().min(1).max(200),
  body: z.string().max(3000),
  atMs: timeMs,
});

export const busEvent = z.discriminatedUnion('type', [tickEvent, barEvent, feedStatusEvent, tenantCreatedEvent, memberJoinedEvent, alertEvent]);

export type BusEvent = z.infer<typeof busEvent>;
export type BusEventType = BusEvent['type'];
export type EventOf<T extends BusEventType> = Extract<BusEvent, { type: T }>;
export type Timeframe = z.infer<typeof timeframe>;
export type AlertPriority = z.infer<typeof alertPriority>;

/** Stream names: one per concern, so consumer groups scale each independently. The shared-state namespace (default `tp:`) prefixes them. */
export const STREAMS = {
  ticks: 'ticks',
  bars: 'bars',
  feed: 'feed',
  tenants: 'tenants',
  alerts: 'alerts',
} as const;

export type StreamName = (typeof STREAMS)[keyof typeof STREAMS];

/** Parse an event read from the bus; returns the reason when it is not one. */
export function parseEvent(value: unknown): { ok: true; event: BusEvent } | { ok: false; reason: string } {
  const result = busEvent.safeParse(value);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0];
  return { ok: false, reason: `invalid event: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown'}` };
}
