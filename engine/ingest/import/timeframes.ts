import { InvalidInputError } from '../../../core/errors';
import type { Mt5Timeframe } from '../mt5/types';

/** Every MT5 timeframe name (ENUM_TIMEFRAMES without PERIOD_), shortest first. */
export const MT5_TIMEFRAMES: readonly Mt5Timeframe[] = [
  'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M10', 'M12', 'M15', 'M20', 'M30',
  'H1', 'H2', 'H3', 'H4', 'H6', 'H8', 'H12', 'D1', 'W1', 'MN1',
];

export function isMt5Timeframe(value: string): value is Mt5Timeframe {
  return (MT5_TIMEFRAMES as readonly string[]).includes(value);
}

/** A timeframe flag's value (case-insensitive); InvalidInputError (`usage`) naming the flag otherwise. */
export function parseTimeframe(text: string, flag = '--timeframe'): Mt5Timeframe {
  const upper = text.trim().toUpperCase();
  if (isMt5Timeframe(upper)) return upper;
  throw new InvalidInputError('usage', `${flag} ${JSON.stringify(text)} is not an MT5 timeframe: expected one of ${MT5_TIMEFRAMES.join(', ')}`);
}
