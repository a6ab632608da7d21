/**
 * Errors of the Bot API as Telegram words them. A method handler throws a `BotApiError`;
 * the HTTP layer turns it into Telegram's envelope `{ok:false,error_code,description,parameters?}`.
 */
export interface ResponseParameters {
  retry_after?: number;
  migrate_to_chat_id?: number;
}

export class BotApiError extends Error {
  readonly errorCode: number;
  readonly description: string;
  readonly parameters: ResponseParameters | undefined;

  constructor(errorCode: number, description: string, parameters?: ResponseParameters) {
    super(description);
    this.name = 'BotApiError';
    this.errorCode = errorCode;
    this.description = description;
    this.parameters = parameters;
  }

  toJSON(): { ok: false; error_code: number; description: string; parameters?: ResponseParameters } {
    return this.parameters === undefined
      ? { ok: false, error_code: this.errorCode, description: this.description }
      : { ok: false, error_code: this.errorCode, description: this.description, parameters: this.parameters };
  }
}

/** 400 with Telegram's "Bad Request: " prefix. */
export function badRequest(detail: string): BotApiError {
  return new BotApiError(400, `Bad Request: ${detail}`);
}

export function forbidden(detail: string): BotApiError {
  return new BotApiError(403, `Forbidden: ${detail}`);
}

export function conflict(detail: string): BotApiError {
  return new BotApiError(409, `Conflict: ${detail}`);
}

export function tooManyRequests(retryAfterSeconds: number): BotApiError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return new BotApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
}

export const unauthorized = (): BotApiError => new BotApiError(401, 'Unauthorized');
export const notFound = (): BotApiError => new BotApiError(404, 'Not Found');

/**
 * Errors of the sandbox's own user-side API (`/_sandbox/...`): a status and a sentence for
 * the person or test that called it. Not part of the Bot API.
 */
export class SandboxControlError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'SandboxControlError';
    this.status = status;
  }
}
