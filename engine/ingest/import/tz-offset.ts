import { InvalidInputError } from '../../../core/errors';

/** Real broker zones lie within UTC−12…UTC+14; anything outside is a unit or sign mistake. */
const MIN_OFFSET = -12 * 60;
const MAX_OFFSET = 14 * 60;

/**
 * A broker's offset (server time − UTC) from what a person types: whole minutes (`120`,
 * `-300`) or `±HH:MM` (`+02:00`, `-05:00`, `3:00`). Throws InvalidInputError (code `usage`,
 * naming `flag`) for anything else or for an offset outside UTC−12…UTC+14.
 */
export function parseTzOffset(text: string, flag = '--tz-offset'): number {
  const value = text.trim();
  const bad = (why: string) =>
    new InvalidInputError('usage', `${flag} ${JSON.stringify(text)} ${why}: expected minutes (120, -300) or ±HH:MM (+02:00, -05:00)`);
  let minutes: number;
  const hhmm = /^([+-]?)(\d{1,2}):(\d{2})$/.exec(value);
  if (hhmm) {
    const mm = Number(hhmm[3]);
    if (mm >= 60) throw bad('has minutes of 60 or more');
    minutes = (hhmm[1] === '-' ? -1 : 1) * (Number(hhmm[2]) * 60 + mm);
  } else if (/^[+-]?\d{1,4}$/.test(value)) {
    minutes = Number(value);
  } else {
    throw bad('is not an offset');
  }
  if (minutes < MIN_OFFSET || minutes > MAX_OFFSET) throw bad('is outside UTC−12:00…UTC+14:00');
  return minutes === 0 ? 0 : minutes; // no -0
}

/** `+02:00`, `-05:00`, `+00:00`. */
export function formatTzOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
