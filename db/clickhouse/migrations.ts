/**
 * ClickHouse schema, as an ordered list. Each migration runs once and is recorded in
 * `schema_migrations`; every statement is also written to be harmless when repeated
 * (IF NOT EXISTS), so a process that dies between a statement and its record, or two
 * processes migrating at once, converge on the same schema.
 *
 * Engine choice, for both tables: ReplacingMergeTree. Market data arrives more than once
 * by design — the same MT5 export is re-imported, the bridge replays its buffer after a
 * reconnect, and the forming bar of every timeframe is rewritten on each tick. Rows with
 * the same sorting key collapse into one during background merges, and readers that must
 * never see the not-yet-merged duplicates query with FINAL (see market-data.ts). Plain
 * MergeTree would keep every copy forever; a dedup window (insert_deduplication_token)
 * only catches byte-identical blocks, not an overlapping re-import.
 *
 * - ticks: the sorting key is the whole tick (symbol, time, then its values), so a
 *   re-imported tick collapses into the one already stored while two different ticks in
 *   the same millisecond (common on busy symbols) both survive. The primary index is only
 *   (symbol, time): lookups never filter by price, and a short index stays in memory.
 * - bars: the sorting key is the bar's identity (symbol, timeframe, time) and `version`
 *   decides which copy wins, so the forming bar is "updated in place" by inserting it again
 *   with a higher version; equal versions keep the last inserted copy.
 *
 * Both are partitioned by month: drops of old data are per-partition, and since `time` is
 * in the sorting key all copies of one row live in the same partition, which lets FINAL run
 * per partition (do_not_merge_across_partitions_select_final).
 */
export interface ClickHouseMigration {
  version: number;
  name: string;
  statements: string[];
}

export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    version: 1,
    name: 'ticks_and_bars',
    statements: [
      `CREATE TABLE IF NOT EXISTS ticks (
        symbol LowCardinality(String),
        time DateTime64(3, 'UTC') CODEC(Delta, ZSTD),
        bid Float64,
        ask Float64,
        last Float64,
        volume Float64,
        flags UInt32,
        source LowCardinality(String)
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(time)
      PRIMARY KEY (symbol, time)
      ORDER BY (symbol, time, bid, ask, last, volume, flags)`,
      `CREATE TABLE IF NOT EXISTS bars (
        symbol LowCardinality(String),
        timeframe LowCardinality(String),
        time DateTime64(3, 'UTC') CODEC(Delta, ZSTD),
        open Float64,
        high Float64,
        low Float64,
        close Float64,
        tick_volume UInt64,
        spread Float64,
        version UInt64
      )
      ENGINE = ReplacingMergeTree(version)
      PARTITION BY toYYYYMM(time)
      ORDER BY (symbol, timeframe, time)`,
    ],
  },
  {
    // The broker time-zone offset each imported source was converted with (server time −
    // UTC, in minutes), so that a re-import without --tz-offset converts the same way. The
    // latest `updated_at` wins per source.
    version: 2,
    name: 'sources',
    statements: [
      `CREATE TABLE IF NOT EXISTS sources (
        source String,
        symbol LowCardinality(String),
        tz_offset_minutes Int16,
        updated_at DateTime64(3, 'UTC')
      )
      ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY source`,
    ],
  },
];

export const SCHEMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version UInt32,
  name String,
  applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY version`;
