import { DrizzleQueryError } from 'drizzle-orm/errors';
import { ConflictError, UnavailableError, isAppError } from '../../core/errors';

/**
 * Driver errors translated into the kernel's reactions. Drizzle wraps every driver error in
 * a DrizzleQueryError (whose message carries the SQL and its parameters, i.e. user data),
 * so the translation walks the `cause` chain and never reuses that message.
 */

/** Node socket errors and SQLSTATEs that mean "the server went away", not "the query is wrong". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED',
  '57P01', // admin_shutdown: the server is stopping or the backend was terminated
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up
  '53300', // too_many_connections
]);

const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /connection (?:is )?closed/i,
  /cannot use a pool after calling end/i,
];

function* causes(error: unknown): Generator<unknown> {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What Postgres, the pool or the socket said: the first error that is not drizzle's wrapper. */
export function driverError(error: unknown): unknown {
  for (const e of causes(error)) if (!(e instanceof DrizzleQueryError)) return e;
  return error;
}

export function isConnectionError(error: unknown): boolean {
  for (const e of causes(error)) {
    if (e instanceof UnavailableError) return true;
    const code = codeOf(e);
    if (code !== undefined && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
    // AggregateError (happy eyeballs over IPv4 + IPv6) hides the codes one level down.
    if (e instanceof AggregateError && e.errors.some((inner) => isConnectionError(inner))) return true;
    if (e instanceof Error && CONNECTION_MESSAGES.some((re) => re.test(e.message))) return true;
  }
  return false;
}

/** Postgres unique_violation; `constraint` narrows it to one index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  for (const e of causes(error)) {
    if (codeOf(e) === '23505') return constraint === undefined || (e as { constraint?: string }).constraint === constraint;
  }
  return false;
}

/** One line describing the driver error, with `secret` (a password) scrubbed out. */
export function causeMessage(error: unknown, secret?: string): string {
  const inner = driverError(error);
  let message =
    inner instanceof AggregateError && inner.errors.length > 0
      ? inner.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ')
      : inner instanceof Error
        ? inner.message || inner.name
        : String(inner);
  if (secret) message = message.split(secret).join('***');
  return message.split('\n')[0] ?? message;
}

/**
 * What a caller should throw for a database error: connection failures become
 * UnavailableError (retry later), unique violations ConflictError, AppErrors pass through;
 * anything else is a bug and is returned unchanged so its stack survives.
 */
export function translateDatabaseError(error: unknown): unknown {
  if (isAppError(error)) return error;
  if (isConnectionError(error)) {
    return new UnavailableError('db_unavailable', `the database is unavailable: ${causeMessage(error)}`, driverError(error));
  }
  if (isUniqueViolation(error)) {
    const constraint = (driverError(error) as { constraint?: string }).constraint ?? 'unique';
    return new ConflictError('db_unique_violation', `the record already exists (${constraint})`);
  }
  return error;
}

/** Runs `fn`, rethrowing database errors as the kernel's AppErrors (see translateDatabaseError). */
export async function withDatabaseErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}
