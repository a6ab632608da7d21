/**
 * Errors grouped by the reaction they need, each with a stable code.
 * - invalid_input: tell the user exactly what is wrong; nothing was changed.
 * - unavailable:   a dependency (database, Redis, Telegram) cannot be reached; retry with backoff.
 * - forbidden:     the caller's tenant or role does not allow the action.
 * - not_found:     the thing named does not exist (or is not visible to the caller).
 * - conflict:      the request collides with existing state (used invite, duplicate name).
 * - fatal:         the process cannot go on; stop loudly.
 */
export type ErrorKind = 'invalid_input' | 'unavailable' | 'forbidden' | 'not_found' | 'conflict' | 'fatal';

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  /** Extra, user-safe detail (never secrets). */
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, code: string, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.details = options?.details;
  }
}

export class InvalidInputError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('invalid_input', code, message, details ? { details } : undefined);
    this.name = 'InvalidInputError';
  }
}

export class UnavailableError extends AppError {
  constructor(code: string, message: string, cause?: unknown) {
    super('unavailable', code, message, { cause });
    this.name = 'UnavailableError';
  }
}

export class ForbiddenError extends AppError {
  constructor(code: string, message: string) {
    super('forbidden', code, message);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string) {
    super('not_found', code, message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super('conflict', code, message);
    this.name = 'ConflictError';
  }
}

/** A bad environment value or flag: the CLI prints the message and exits with code 2. */
export class ConfigError extends AppError {
  constructor(message: string) {
    super('invalid_input', 'config_invalid', message);
    this.name = 'ConfigError';
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** One line for a person: never a stack, never a cause chain with secrets in it. */
export function describeError(error: unknown): string {
  if (error instanceof AppError) return error.message;
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
