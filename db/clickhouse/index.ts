export { openClickHouse, runMigrations, type ClickHouseClient, type ClickHouseHandle, type OpenClickHouseOptions } from './client';
export { shareLost } from './share';
export { CLICKHOUSE_MIGRATIONS, type ClickHouseMigration } from './migrations';
export { createMarketDataRepository, toDateTime64, type BarRow, type MarketDataRepository, type TickRow, type TimeRange } from './market-data';
export { TickTextBody, type TickColumns } from './tick-columns';
