/**
 * The data layer: Postgres (or PGlite), ClickHouse (or chDB), and the shared-state
 * primitives (bus, locks, rate limiter, cache) over Redis or in process.
 */
export {
  openDatabase,
  withDatabaseErrors,
  isConnectionError,
  isUniqueViolation,
  schema,
  type Database,
  type DatabaseHandle,
} from './postgres';
export { openClickHouse, createMarketDataRepository, TickTextBody, type TickColumns, type ClickHouseClient, type ClickHouseHandle, type MarketDataRepository, type TickRow, type BarRow } from './clickhouse';
export { createSharedState, holdLease, grammySessionStorage, type HoldLeaseOptions, type Lease } from './shared-state';
export type { Bus, BusMessage, Subscription, SubscribeOptions, LockManager, RateLimiter, RateLimit, RateDecision, Cache, SharedState } from './ports';
