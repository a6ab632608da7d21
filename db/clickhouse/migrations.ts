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
  /**
   * Tables to detach and attach again after this migration, on chDB only: some MergeTree
   * settings (the cleanup schedule) are read when a table is attached, and an embedded
   * engine is restarted only when its process is. A server reads them at its next restart.
   */
  reattachEmbedded?: string[];
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
  {
    // Keeps the number of data parts, and with it the engine's memory, bounded by the span of
    // the data rather than by how it arrived. Each insert makes a part; merges replace parts
    // with bigger ones, and the replaced ("outdated") parts stay in memory until the cleanup
    // task removes them. That task runs only when no merge is waiting and backs off to
    // minutes when a round finds little work, so during a long import (one insert every few
    // milliseconds) it never ran: a 3M-row import ended with 408 outdated parts next to 331
    // active ones, about 19 KB of chDB memory each, growing with the file.
    // - Both tables: cleanup every second, without backing off (points per iteration 0 = no
    //   target).
    // - bars: a month that has received nothing for 10 s is merged into one part. A long bars
    //   file spans many months of few rows each (19 years of M1 bars: 230 months of ≈ 44k),
    //   and the ordinary merge policy leaves about five parts in each. The month being
    //   written keeps the ordinary policy (its newest part is younger than that), and live
    //   bars are rewritten every second while ticks flow, so a live month is compacted only
    //   when the whole feed stops (a weekend).
    // - ticks: no forced merge. Their months are large (millions of ticks), so the ordinary
    //   policy leaves few parts per month, while compacting a whole month of live ticks after
    //   every pause of the feed would rewrite it again and again.
    // Measured with `tradepilot import` on chDB, 10M-row M1 file: peak RSS 362 → 310 MB.
    version: 3,
    name: 'bounded_parts',
    statements: [
      'ALTER TABLE ticks MODIFY SETTING cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, cleanup_thread_preferred_points_per_iteration = 0',
      'ALTER TABLE bars MODIFY SETTING cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, cleanup_thread_preferred_points_per_iteration = 0, min_age_to_force_merge_seconds = 10, min_age_to_force_merge_on_partition_only = 1',
    ],
    reattachEmbedded: ['ticks', 'bars'],
  },
  {
    // Smaller write buffers for tick parts. Every column a part writer writes has a buffer of
    // uncompressed data and one of compressed data, each max_compress_block_size (1 MiB by
    // default); a merge writes all eight columns of the ticks table at once, next to the
    // inserts, and on chDB that memory is the importing process's.
    // - max_compress_block_size 64 KiB (= min_compress_block_size): blocks of at most 64 KiB
    //   are compressed, so each buffer is at most that.
    // - Parts stay compact (one file, a column after the other in each granule) up to 1 GiB
    //   uncompressed rather than 10 MiB: a compact part is written and read through one file
    //   buffer instead of one per column. Past 1 GiB (≈ 25M ticks) parts become wide as before.
    // Measured with `tradepilot import` on chDB, 10M-tick file (five weeks): peak RSS 307–311
    // → 301–302 MiB (3 runs each); the same 68.6 MiB on disk; the last tick and a day's range
    // read as fast, a scan of one column over all 10M ticks ≈ 20 % slower (16 → 19 ms).
    // Bars are not changed: their months are small, written compact already, and the same
    // setting on them measured no difference.
    version: 4,
    name: 'lean_tick_parts',
    statements: ['ALTER TABLE ticks MODIFY SETTING max_compress_block_size = 65536, min_bytes_for_wide_part = 1073741824'],
    reattachEmbedded: ['ticks'],
  },
];

export const SCHEMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version UInt32,
  name String,
  applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY version`;
