/**
 * A broker's time-zone offset (server time − UTC, in minutes) as a person types it, for the
 * `--tz-offset` flags and `REPLAY_TZ_OFFSET`: one reading, one set of rules, one wording.
 *
 * Accepted: whole minutes (`120`, `-300`) or `±HH:MM` (`+02:00`, `-05:00`, `3:00`), within
 * UTC−12:00…UTC+14:00 (where real zones lie) and in steps of 15 minutes (every zone is). The
 * step rule catches the usual slip of typing hours where minutes are read: `+2` would shift
 * every bar by two minutes, so it is refused with the hours it probably meant.
 */
const MIN_OFFSET = -12 * 60;
const MAX_OFFSET = 14 * 60;
const STEP = 15;

/** What every refusal ends with. */
export const TZ_OFFSET_EXPECTED = 'expected minutes (120, -300) or ±HH:MM (+02:00, -05:00)';

export type TzOffsetReading = { ok: true; minutes: number } | { ok: false; problem: string };

/** Reads an offset; `problem` completes a sentence that starts with the quoted text. */
export function readTzOffset(text: string): TzOffsetReading {
  const value = text.trim();
  let minutes: number;
  const hhmm = /^([+-]?)(\d{1,2}):(\d{2})$/.exec(value);
  if (hhmm) {
    const mm = Number(hhmm[3]);
    if (mm >= 60) return { ok: false, problem: 'has minutes of 60 or more' };
    minutes = (hhmm[1] === '-' ? -1 : 1) * (Number(hhmm[2]) * 60 + mm);
  } else if (/^[+-]?\d{1,4}$/.test(value)) {
    minutes = Number(value);
  } else {
    return { ok: false, problem: 'is not an offset' };
  }
  if (minutes < MIN_OFFSET || minutes > MAX_OFFSET) return { ok: false, problem: 'is outside UTC−12:00…UTC+14:00' };
  if (minutes % STEP !== 0) {
    const hours = Math.abs(minutes) <= 14 ? ` (did you mean ${formatTzOffset(minutes * 60)}, i.e. ${minutes * 60}?)` : '';
    return { ok: false, problem: `is ${minutes} minutes, not a whole quarter of an hour as every time zone is${hours}` };
  }
  return { ok: true, minutes: minutes === 0 ? 0 : minutes }; // no -0
}

/** `+02:00`, `-05:00`, `+00:00`. */
export function formatTzOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
