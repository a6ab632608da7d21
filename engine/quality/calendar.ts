/**
 * When a market is open. Gap and stale-feed checks measure silence in open-market time, so a
 * quiet weekend is not an outage.
 */
export interface MarketCalendar {
  readonly name: string;
  isOpen(timeMs: number): boolean;
  /** Milliseconds of open market inside [fromMs, toMs). */
  openMsBetween(fromMs: number, toMs: number): number;
  /** The first instant after `timeMs` at which the market opens or closes (Infinity if never). */
  nextChangeMs(timeMs: number): number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** Trades around the clock (crypto). */
export const ALWAYS_OPEN: MarketCalendar = Object.freeze({
  name: 'always-open',
  isOpen: () => true,
  openMsBetween: (fromMs: number, toMs: number) => Math.max(0, toMs - fromMs),
  nextChangeMs: () => Number.POSITIVE_INFINITY,
});

/** A local weekday (0 = Sunday … 6 = Saturday) and minute of the day. */
export interface WeekTime {
  day: number;
  minute: number;
}

export interface WeeklyCalendarOptions {
  name?: string;
  /** When the weekly closure starts, in the zone's local time. */
  close: WeekTime;
  /** When trading resumes, in the zone's local time (the next such moment after `close`). */
  open: WeekTime;
  /** UTC offset of the zone at a UTC instant, in ms. Default: UTC (always 0). */
  zoneOffsetMs?: (utcMs: number) => number;
}

/** Second Sunday of March 02:00 local → first Sunday of November 02:00 local (US rule since 2007). */
export function newYorkOffsetMs(utcMs: number): number {
  const year = new Date(utcMs).getUTCFullYear();
  const start = nthSundayUtc(year, 2, 2) + 7 * HOUR; // 02:00 EST = 07:00 UTC
  const end = nthSundayUtc(year, 10, 1) + 6 * HOUR; // 02:00 EDT = 06:00 UTC
  return utcMs >= start && utcMs < end ? -4 * HOUR : -5 * HOUR;
}

function nthSundayUtc(year: number, month: number, nth: number): number {
  const first = Date.UTC(year, month, 1);
  const weekday = new Date(first).getUTCDay();
  return first + (((7 - weekday) % 7) + 7 * (nth - 1)) * DAY;
}

/** A market closed once a week, e.g. FX from Friday 17:00 to Sunday 17:00 New York time. */
export function weeklyCalendar(options: WeeklyCalendarOptions): MarketCalendar {
  const zone = options.zoneOffsetMs ?? (() => 0);
  const closeAt = checkWeekTime(options.close, 'close');
  const openAt = checkWeekTime(options.open, 'open');
  const closedLocal = (((openAt - closeAt) % WEEK) + WEEK) % WEEK;
  if (closedLocal === 0) throw new RangeError('weekly calendar: open and close are the same moment');

  // Local wall-clock time → UTC, iterating once so a DST change near the moment is honoured.
  const toUtc = (localMs: number) => {
    const guess = localMs - zone(localMs);
    return localMs - zone(guess);
  };
  // Sunday 00:00 of the local week containing local time `localMs` (1970-01-01 was a Thursday).
  const weekStart = (localMs: number) => {
    const dayIndex = Math.floor(localMs / DAY);
    return (dayIndex - ((dayIndex + 4) % 7)) * DAY;
  };

  /** Calls `visit(startUtc, endUtc)` for every closure that may overlap [fromMs, toMs). */
  const closures = (fromMs: number, toMs: number, visit: (start: number, end: number) => void) => {
    let week = weekStart(fromMs + zone(fromMs)) - WEEK;
    const last = toMs + zone(toMs) + WEEK;
    for (; week <= last; week += WEEK) {
      const startLocal = week + closeAt;
      visit(toUtc(startLocal), toUtc(startLocal + closedLocal));
    }
  };

  return Object.freeze({
    name: options.name ?? 'weekly',
    isOpen(timeMs: number) {
      let open = true;
      closures(timeMs, timeMs, (start, end) => {
        if (timeMs >= start && timeMs < end) open = false;
      });
      return open;
    },
    openMsBetween(fromMs: number, toMs: number) {
      if (!(toMs > fromMs)) return 0;
      let closed = 0;
      closures(fromMs, toMs, (start, end) => {
        const overlap = Math.min(end, toMs) - Math.max(start, fromMs);
        if (overlap > 0) closed += overlap;
      });
      return toMs - fromMs - closed;
    },
    nextChangeMs(timeMs: number) {
      let next = Number.POSITIVE_INFINITY;
      closures(timeMs, timeMs, (start, end) => {
        if (start > timeMs && start < next) next = start;
        if (end > timeMs && end < next) next = end;
      });
      return next;
    },
  });
}

function checkWeekTime(t: WeekTime, what: string): number {
  if (!Number.isInteger(t.day) || t.day < 0 || t.day > 6) throw new RangeError(`${what}.day must be 0..6 (Sunday..Saturday), got ${t.day}`);
  if (!Number.isInteger(t.minute) || t.minute < 0 || t.minute >= 1440) throw new RangeError(`${what}.minute must be 0..1439, got ${t.minute}`);
  return t.day * DAY + t.minute * MINUTE;
}

/**
 * Spot FX (and metals): closed from Friday 17:00 to Sunday 17:00 New York time, that is
 * 21:00→21:00 UTC while the US observes daylight saving time and 22:00→22:00 UTC otherwise.
 * Holidays (25 December, 1 January) are not in it: a gap then is reported, on purpose.
 */
export function fxCalendar(): MarketCalendar {
  return weeklyCalendar({
    name: 'fx',
    close: { day: 5, minute: 17 * 60 },
    open: { day: 0, minute: 17 * 60 },
    zoneOffsetMs: newYorkOffsetMs,
  });
}
