import type { FastifyError, FastifyInstance } from 'fastify';
import { isAppError, type ErrorKind } from '../../core';

const STATUS: Record<ErrorKind, number> = {
  invalid_input: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  fatal: 500,
};

/**
 * Every error leaves as `{ error: <code>, message: <one clear sentence> }`. Validation
 * failures name the field; a stack trace never reaches the client (the log has it).
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isAppError(error)) {
      const status = STATUS[error.kind];
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      return reply.status(status).send({ error: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) });
    }
    if (error.validation) {
      const first = error.validation[0];
      const where = error.validationContext ?? 'body';
      const field = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const allowed = (first?.params as { allowedValues?: unknown[] } | undefined)?.allowedValues;
      const detail = allowed ? `must be one of ${allowed.join(', ')}` : first?.message ?? 'is invalid';
      const message = field ? `${where}.${field} ${detail}` : `${where} ${detail}`;
      return reply.status(400).send({ error: 'invalid_input', message });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (error.statusCode === 400 && error instanceof SyntaxError)) {
      return reply.status(400).send({ error: 'invalid_json', message: 'request body is not valid JSON' });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.status(415).send({ error: 'unsupported_media_type', message: 'send the body as application/json' });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send({ error: 'body_too_large', message: 'request body is too large' });
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(status).send({ error: status >= 500 ? 'internal' : 'bad_request', message: status >= 500 ? 'internal error; see the server log' : error.message });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
}
