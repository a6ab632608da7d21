/**
 * Importing history files into ClickHouse, and computing indicators over a bars file: the
 * services behind `tradepilot import` / `tradepilot indicators`, free of CLI concerns so the
 * admin API can call them too.
 */
export {
  createImporter,
  checkImportFile,
  sourceNameFor,
  COLLECT_EVERY_ROWS,
  DEFAULT_IMPORT_BATCH,
  type Importer,
  type ImporterDeps,
  type ImportInput,
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
} from './importer';
export { sumImportResults, type ImportTotals } from './totals';
export { createClickHouseSourceRegistry, createMemorySourceRegistry, type SourceRecord, type SourceRegistry } from './sources';
export { parseTzOffset, formatTzOffset } from './tz-offset';
export { MT5_TIMEFRAMES, isMt5Timeframe, parseTimeframe } from './timeframes';
export { writeIndicatorsCsv, type IndicatorsFileOptions, type IndicatorsFileResult } from './indicators-file';
