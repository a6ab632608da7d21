import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../core/logger';

/** A logger whose JSON lines are kept for assertions. */
export function captureLogger(level: 'debug' | 'info' | 'warn' = 'debug'): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      raw.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ level, pretty: false, destination });
  return { logger, lines: () => raw.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}
