/** Cell parsers shared by the text formats. They return NaN instead of throwing. */

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE = /^(\d{4})[.\-/]?(\d{2})[.\-/]?(\d{2})$/;
const TIME = /^(\d{1,2}):?(\d{2})(?::?(\d{2})(?:\.(\d{1,3}))?)?$/;

/** A decimal number as MT5 writes it (`.` separator, optional exponent); '' and `0x…` are not numbers. */
export function parseNumber(cell: string): number {
  return NUMBER.test(cell) ? Number(cell) : Number.NaN;
}

/** A non-negative whole number (tick volume, spread, flags). */
export function parseCount(cell: string): number {
  const value = parseNumber(cell);
  return Number.isInteger(value) && value >= 0 ? value : Number.NaN;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** `YYYY.MM.DD` (MT5), `YYYY-MM-DD`, `YYYY/MM/DD` or `YYYYMMDD` → ms of that midnight as if UTC; NaN if not a real date. */
export function parseDate(cell: string): number {
  const match = DATE.exec(cell);
  if (!match) return Number.NaN;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1970 || month < 1 || month > 12 || day < 1) return Number.NaN;
  const maxDay = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (day > maxDay) return Number.NaN;
  return Date.UTC(year, month - 1, day);
}

/** `HH:MM`, `HH:MM:SS`, `HH:MM:SS.mmm` or `HHMMSS` → ms since midnight; NaN when out of range. */
export function parseTimeOfDay(cell: string): number {
  const match = TIME.exec(cell);
  if (!match) return Number.NaN;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  const seconds = match[3] === undefined ? 0 : Number(match[3]);
  // ".5" means 500 ms, as in a decimal fraction of a second.
  const millis = match[4] === undefined ? 0 : Number(match[4].padEnd(3, '0'));
  if (hours > 23 || minutes > 59 || seconds > 59) return Number.NaN;
  return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis;
}

/** The start of a line for a reject record or an error message: printable, at most `max` chars. */
export function snippet(text: string, max = 120): string {
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
