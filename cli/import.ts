import path from 'node:path';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../core/config';
import { InvalidInputError, UnavailableError } from '../core/errors';
import { garbageCollector } from '../core/gc';
import { createLogger } from '../core/logger';
import {
  checkImportFile,
  createClickHouseSourceRegistry,
  createImporter,
  formatTzOffset,
  parseTimeframe,
  parseTzOffset,
  sumImportResults,
  COLLECT_EVERY_ROWS,
  DEFAULT_IMPORT_BATCH,
  type ImportOptions,
  type ImportResult,
  type ImportTotals,
} from '../engine/ingest/import';
import type { Command } from './command';
import { progressBarFor } from './progress';

const FORMATS = ['auto', 'mt5-ticks', 'mt5-bars', 'histdata', 'ea-json'] as const;
type FormatOption = (typeof FORMATS)[number];
const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._#-]{0,31}$/;

export const importCommand: Command = {
  name: 'import',
  summary: 'Import MT5 history files (bars or ticks) into ClickHouse.',
  usage: 'tradepilot import <file…> [--symbol S] [--format auto|mt5-ticks|mt5-bars|histdata|ea-json] [--tz-offset MINUTES|±HH:MM] [--timeframe M1…] [--json]',
  help: `Options:
      --symbol S         symbol of the data (default: from the file name or the EA JSON's metadata)
      --format F         auto (default), mt5-bars, mt5-ticks, histdata or ea-json
      --tz-offset O      broker server time minus UTC: minutes (120) or ±HH:MM (+02:00), whole
                         quarter hours; write negative values as --tz-offset=-05:00. Default: the
                         offset stored for this file by an earlier import, else 0 (times as UTC)
      --timeframe TF     bars only: M1 … MN1 (default: from the file name, else the bars' spacing)
      --batch-size N     rows per insert (default ${DEFAULT_IMPORT_BATCH})
      --json             print a JSON summary: the last stdout line is
                         {"rows","accepted","rejected":{reason:n},"symbol","from","to"}; with
                         several files one line per file (with "file") comes first and the
                         last line sums them ("symbol" null when the files' symbols differ)

Times are stored in UTC; "from"/"to" are the earliest/latest accepted times, ISO-8601 UTC.
Ticks go to the ticks table (source "import:<file name>"), bars to bars. Re-importing a
file adds no duplicates, so a run that was interrupted is repaired by running it again.
While \`tradepilot start\` runs on the same DATA_DIR (and CLICKHOUSE_URL is unset), the rows go
through its embedded ClickHouse ($DATA_DIR/run/clickhouse.sock) and this process does not
load chDB itself. Progress is shown on stderr when it is a terminal.`,
  options: {
    symbol: { type: 'string' },
    format: { type: 'string' },
    'tz-offset': { type: 'string' },
    timeframe: { type: 'string' },
    'batch-size': { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  async run({ values, positionals }, ctx) {
    const options = importOptions(values);
    if (positionals.length === 0) throw new InvalidInputError('usage', 'name at least one file to import (see: tradepilot import --help)');
    // Every file is checked before the database is opened: a typo fails at once.
    for (const file of positionals) await checkImportFile(file);

    const config = loadConfig(ctx.env);
    // Logs go to stderr: stdout carries the summary (and with --json, the JSON lines).
    const logger = createLogger({
      level: config.logLevel === 'info' ? 'warn' : config.logLevel,
      pretty: false,
      destination: ctx.stderr as DestinationStream,
    });
    // Loaded on use (the native chDB library is large), and db/clickhouse rather than db:
    // an import needs no Postgres or Redis drivers in memory.
    const { createMarketDataRepository, openClickHouse, shareLost } = await import('../db/clickhouse');
    const clickhouse = await openClickHouse({ clickhouseUrl: config.clickhouseUrl, dataDir: config.dataDir, logger });
    const results: ImportResult[] = [];
    try {
      await clickhouse.migrate();
      logger.debug({ collectEveryRows: COLLECT_EVERY_ROWS }, 'import: full garbage collections');
      const importer = createImporter({
        marketData: createMarketDataRepository(clickhouse.client),
        sources: createClickHouseSourceRegistry(clickhouse.client),
        logger,
        collectGarbage: garbageCollector(),
      });
      const json = values.json === true;
      for (const [index, file] of positionals.entries()) {
        const label = positionals.length > 1 ? `[${index + 1}/${positionals.length}] ${path.basename(file)}` : path.basename(file);
        const bar = progressBarFor(ctx.stderr, label);
        let result: ImportResult;
        try {
          result = await importer.importFile(file, {
            ...options,
            ...(bar ? { onProgress: (p) => bar.update({ done: p.bytesRead, total: p.totalBytes, rows: p.rows, rejected: p.rejected, elapsedMs: p.elapsedMs }) } : {}),
          });
        } finally {
          bar?.finish();
        }
        results.push(result);
        for (const warning of result.warnings) ctx.stderr.write(`warning: ${warning}\n`);
        if (json) {
          if (positionals.length > 1) ctx.stdout.write(`${JSON.stringify({ file, ...jsonSummary(result), ...fileDetails(result) })}\n`);
        } else {
          ctx.stdout.write(humanSummary(result));
        }
      }
      const totals = sumImportResults(results);
      if (json) ctx.stdout.write(`${JSON.stringify(jsonSummary(totals))}\n`);
      else if (results.length > 1) ctx.stdout.write(`total: ${countsText(totals)} in ${results.length} files\n`);
    } catch (error) {
      if (clickhouse.holderPid !== undefined && shareLost(error)) {
        throw new UnavailableError(
          'clickhouse_holder_stopped',
          `the process (PID ${clickhouse.holderPid}) whose embedded ClickHouse this import was writing to stopped before the import finished: run the same import again to complete it (what is stored already is not duplicated)`,
          error,
        );
      }
      throw error;
    } finally {
      await clickhouse.close();
    }
    return 0;
  },
};

function importOptions(values: Record<string, unknown>): Omit<ImportOptions, 'onProgress'> {
  const options: Omit<ImportOptions, 'onProgress'> = {};
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const format = text('format');
  if (format !== undefined) {
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new InvalidInputError('usage', `--format ${JSON.stringify(format)} is not a format: expected one of ${FORMATS.join(', ')}`);
    }
    options.format = format as FormatOption;
  }
  const symbol = text('symbol');
  if (symbol !== undefined) {
    if (!SYMBOL.test(symbol)) throw new InvalidInputError('usage', `--symbol ${JSON.stringify(symbol)} is not a symbol: expected 1-32 letters, digits and . _ # -`);
    options.symbol = symbol;
  }
  const offset = text('tz-offset');
  if (offset !== undefined) options.tzOffsetMinutes = parseTzOffset(offset, '--tz-offset');
  const timeframe = text('timeframe');
  if (timeframe !== undefined) options.timeframe = parseTimeframe(timeframe, '--timeframe');
  const batch = text('batch-size');
  if (batch !== undefined) {
    if (!/^\d+$/.test(batch) || Number(batch) < 1 || Number(batch) > 1_000_000) {
      throw new InvalidInputError('usage', `--batch-size ${JSON.stringify(batch)} is not a batch size: expected a whole number from 1 to 1000000`);
    }
    options.batchSize = Number(batch);
  }
  return options;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** DESIGN.md's import summary, keys in this order. */
function jsonSummary(result: ImportTotals) {
  return {
    rows: result.rows,
    accepted: result.accepted,
    rejected: result.rejected,
    symbol: result.symbol,
    from: iso(result.fromMs),
    to: iso(result.toMs),
  };
}

/** Extra keys of a per-file line (multi-file --json only). */
function fileDetails(result: ImportResult) {
  return { format: result.format, kind: result.kind, timeframe: result.timeframe, tz_offset_minutes: result.tzOffsetMinutes, source: result.source };
}

function countsText(totals: ImportTotals): string {
  const rejected = Object.values(totals.rejected).reduce((a, b) => a + b, 0);
  return `${n(totals.rows)} rows, ${n(totals.accepted)} accepted, ${n(rejected)} rejected`;
}

function humanSummary(result: ImportResult): string {
  const what = result.kind === 'bars' ? `${result.symbol ?? '?'} ${result.timeframe ?? '?'} bars` : `${result.symbol ?? '?'} ticks`;
  const offset = formatTzOffset(result.tzOffsetMinutes);
  const offsetFrom =
    result.tzOffsetFrom === 'option' ? 'from --tz-offset' : result.tzOffsetFrom === 'stored' ? `as stored for ${result.source}` : 'none given: times taken as UTC';
  const span = result.fromMs === null ? 'no data' : `${iso(result.fromMs)} → ${iso(result.toMs)}`;
  const lines = [
    `${result.file}: ${n(result.accepted)} ${what} imported (${countsText(result)}) in ${(result.elapsedMs / 1000).toFixed(1)} s`,
    `  UTC ${span}; broker offset ${offset} (${offsetFrom})`,
  ];
  const reasons = Object.entries(result.rejected).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0) lines.push(`  rejected: ${reasons.map(([reason, count]) => `${reason} ${n(count)}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}
