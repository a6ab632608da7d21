import type { ClickHouseClient } from '../../../db';

/** What is known about one import source: the broker offset its times were converted with. */
export interface SourceRecord {
  /** `import:<file basename>` for file imports. */
  source: string;
  symbol: string;
  /** Broker server time − UTC, in minutes. */
  tzOffsetMinutes: number;
  updatedAtMs: number;
}

/**
 * Where the offset used for each source is kept, so that a later import of the same source
 * (a re-run after an abort, an updated export) converts its times the same way.
 */
export interface SourceRegistry {
  get(source: string): Promise<SourceRecord | null>;
  /** Records (or replaces) the source's offset and symbol. */
  put(record: Omit<SourceRecord, 'updatedAtMs'>): Promise<void>;
}

/**
 * The registry over ClickHouse's `sources` table (migration 2, ReplacingMergeTree keyed by
 * source, latest `updated_at` wins; read with FINAL so a replaced row is never seen).
 */
export function createClickHouseSourceRegistry(client: ClickHouseClient): SourceRegistry {
  let lastMs = 0;
  return {
    async get(source) {
      const result = await client.query({
        query: `SELECT source, symbol, tz_offset_minutes AS tzOffsetMinutes, toUnixTimestamp64Milli(updated_at) AS updatedAtMs
                FROM sources FINAL WHERE source = {source:String} ORDER BY updated_at DESC LIMIT 1`,
        query_params: { source },
        format: 'JSONEachRow',
      });
      const rows = await result.json<{ source: string; symbol: string; tzOffsetMinutes: number | string; updatedAtMs: number | string }>();
      const row = rows[0];
      return row ? { source: row.source, symbol: row.symbol, tzOffsetMinutes: Number(row.tzOffsetMinutes), updatedAtMs: Number(row.updatedAtMs) } : null;
    },
    async put(record) {
      // Strictly increasing within the process, so two puts in one millisecond keep the later.
      lastMs = Math.max(lastMs + 1, Date.now());
      await client.insert({
        table: 'sources',
        values: [{ source: record.source, symbol: record.symbol, tz_offset_minutes: record.tzOffsetMinutes, updated_at: new Date(lastMs).toISOString().replace('T', ' ').replace('Z', '') }],
        format: 'JSONEachRow',
      });
    },
  };
}

/** An in-memory registry (tests, tools that do not persist). */
export function createMemorySourceRegistry(): SourceRegistry {
  const records = new Map<string, SourceRecord>();
  return {
    async get(source) {
      return records.get(source) ?? null;
    },
    async put(record) {
      records.set(record.source, { ...record, updatedAtMs: Date.now() });
    },
  };
}
