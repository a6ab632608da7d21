export {
  TickValidator,
  TICK_REJECT_REASONS,
  TICK_QUALITY_FLAGS,
  type TickRejectReason,
  type TickQualityFlag,
  type TickVerdict,
  type TickValidatorOptions,
  type TickValidatorTotals,
} from './tick-validator';
export {
  ALWAYS_OPEN,
  fxCalendar,
  weeklyCalendar,
  newYorkOffsetMs,
  type MarketCalendar,
  type WeekTime,
  type WeeklyCalendarOptions,
} from './calendar';
export { GapDetector, findGaps, type Gap, type GapDetectorOptions } from './gaps';
export { StaleFeedMonitor, type StaleFeedOptions, type StaleEntry, type FeedKey } from './stale';
export { crossCheck, type QuoteSample, type CrossCheckOptions, type CrossCheckResult } from './cross-check';
