import { createRequire } from 'node:module';
import pino, { type Logger, type DestinationStream } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { LogLevel } from './config';

/**
 * pino-pretty is loaded only when a TTY asks for it: JSON logging (servers, CI, the CLI's
 * stderr) does not carry it and its dependencies in memory.
 */
const loadPretty = (): typeof PinoPretty => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable output (default: when stdout is a TTY). */
  pretty?: boolean;
  /**
   * Values that must never reach a log line (bot token, API keys, passwords). The set is
   * read at every write, so secrets learnt after start-up (a generated key) are masked too.
   */
  secrets?: Set<string>;
  destination?: DestinationStream;
}

/** Anything shaped like a Telegram bot token, even one we were not told about. */
const BOT_TOKEN = /\b\d{5,}:[A-Za-z0-9_-]{30,}\b/g;

/** Object keys whose values are always replaced, wherever they sit in a log object. */
const REDACT_PATHS = [
  'token', '*.token', 'password', '*.password', 'apiKey', '*.apiKey', 'secret', '*.secret',
  'authorization', '*.authorization', 'req.headers.authorization', 'req.headers["x-telegram-bot-api-secret-token"]',
  'headers.authorization', 'headers["x-telegram-bot-api-secret-token"]', 'masterKey', '*.masterKey',
];

export function maskSecrets(line: string, secrets: Iterable<string>): string {
  let out = line.replace(BOT_TOKEN, '[redacted-token]');
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** The one pino root of a process; children per update (`update_id`) and per engine job (`symbol`). */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets ?? new Set<string>();
  const usePretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const destination = options.destination ?? (usePretty ? loadPretty()({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : pino.destination({ dest: 1, sync: false }));
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: { streamWrite: (line) => maskSecrets(line, secrets) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    destination,
  );
}
