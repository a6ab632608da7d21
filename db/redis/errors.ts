import { AppError, UnavailableError } from '../../core/errors';

/**
 * Runs one Redis call for a public method. A refused, lost or timed-out connection becomes
 * UnavailableError (callers back off and retry); an error Redis itself replied with (a bug
 * or a wrong key type) and our own AppErrors pass through unchanged.
 */
export async function callRedis<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AppError || isReplyError(error)) throw error;
    const cause = error instanceof Error ? error.message : String(error);
    throw new UnavailableError('redis_unavailable', `Redis unavailable during ${operation}: ${cause}`, error);
  }
}

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}
