import { InvalidInputError } from '../../../core/errors';
import { TZ_OFFSET_EXPECTED, formatTzOffset, readTzOffset } from '../../../core/tz-offset';

export { formatTzOffset };

/**
 * A broker's offset from a command-line flag (rules in core/tz-offset). Throws
 * InvalidInputError (code `usage`, naming `flag`) for anything it refuses.
 */
export function parseTzOffset(text: string, flag = '--tz-offset'): number {
  const reading = readTzOffset(text);
  if (!reading.ok) throw new InvalidInputError('usage', `${flag} ${JSON.stringify(text)} ${reading.problem}: ${TZ_OFFSET_EXPECTED}`);
  return reading.minutes;
}
