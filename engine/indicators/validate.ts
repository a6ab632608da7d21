/** Input and parameter checks shared by the indicators (private to this folder). */

function describeValue(value: unknown): string {
  return typeof value === 'number' ? String(value) : `${typeof value} ${String(value)}`;
}

/** The error every indicator throws on a non-finite input; the state is left untouched. */
export function invalidInput(indicator: string, value: unknown, field = 'input'): RangeError {
  return new RangeError(`${indicator}: ${field} must be a finite number, got ${describeValue(value)}`);
}

/** Inputs beyond this are refused where their squares are summed (see exact.ts). */
export function outOfRange(indicator: string, value: number, limit: number, field = 'input'): RangeError {
  return new RangeError(`${indicator}: ${field} must be within ±${limit}, got ${value}`);
}

export function checkBar(indicator: string, high: number, low: number, close: number): void {
  if (!Number.isFinite(high)) throw invalidInput(indicator, high, 'high');
  if (!Number.isFinite(low)) throw invalidInput(indicator, low, 'low');
  if (!Number.isFinite(close)) throw invalidInput(indicator, close, 'close');
  if (high < low) throw new RangeError(`${indicator}: high ${high} is below low ${low}`);
}

/** Periods up to 2^24 bars: far beyond any use, and it keeps n·Σx² exact in BollingerBands. */
export const MAX_PERIOD = 2 ** 24;

export function checkPeriod(indicator: string, name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min || value > MAX_PERIOD) {
    throw new RangeError(`${indicator}: ${name} must be an integer from ${min} to ${MAX_PERIOD}, got ${describeValue(value)}`);
  }
  return value;
}
