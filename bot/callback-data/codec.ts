import { InvalidInputError } from '../../core';

/**
 * Typed callback data: `prefix:value1:value2`, packed and unpacked in one place instead of
 * strings built and split by hand. Telegram allows 1-64 bytes; packing checks it.
 */
export interface CallbackCodec<K extends string> {
  readonly prefix: string;
  pack(values: Record<K, string>): string;
  unpack(data: string): Record<K, string>;
  /** Matches this codec's data, for bot.callbackQuery(). */
  readonly pattern: RegExp;
}

const SAFE = /^[A-Za-z0-9_.-]*$/;

export function callbackCodec<K extends string>(prefix: string, fields: readonly K[]): CallbackCodec<K> {
  if (!/^[a-z][a-z0-9_]*$/.test(prefix)) throw new Error(`callback prefix "${prefix}" must be lowercase letters, digits, _`);
  return {
    prefix,
    pattern: new RegExp(`^${prefix}(:|$)`),
    pack(values) {
      const parts = fields.map((field) => {
        const value = values[field];
        if (!SAFE.test(value)) throw new InvalidInputError('callback_value', `callback field ${field} has characters outside A-Z a-z 0-9 _ . -`);
        return value;
      });
      const data = [prefix, ...parts].join(':');
      if (Buffer.byteLength(data, 'utf8') > 64) throw new InvalidInputError('callback_too_long', `callback data "${prefix}" is longer than Telegram's 64 bytes`);
      return data;
    },
    unpack(data) {
      const [head, ...parts] = data.split(':');
      if (head !== prefix || parts.length !== fields.length || parts.some((p) => !SAFE.test(p))) {
        throw new InvalidInputError('callback_malformed', `callback data is not a valid ${prefix} button`);
      }
      return Object.fromEntries(fields.map((field, i) => [field, parts[i]!])) as Record<K, string>;
    },
  };
}
