import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Params, type UploadedFile } from '../params';

/** A body that could not be parsed; the routes turn it into their own 400 answer. */
export class BodyError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

export interface BodyLimits {
  /** Largest multipart file part. */
  maxFileBytes: number;
  /** Largest body of any other kind (JSON with base64 files included). */
  maxBodyBytes: number;
}

/**
 * Accepts what the Bot API accepts: JSON, url-encoded forms, multipart (uploads) and query
 * strings; a body of any other type is ignored, as Telegram ignores it. An empty JSON body
 * is an empty object.
 */
export async function registerBodyParsers(app: FastifyInstance, limits: BodyLimits): Promise<void> {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: limits.maxBodyBytes }, (_request, body, done) => {
    const text = String(body).trim();
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new BodyError(400, "can't parse JSON object"), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: limits.maxBodyBytes }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.maxBodyBytes }, (_request, _body, done) => done(null, undefined));
  await app.register(multipart, {
    limits: { fileSize: limits.maxFileBytes, files: 20, fields: 200, fieldSize: 1024 * 1024, parts: 220 },
  });
}

/** Query string and body merged into one parameter set (the body wins, as in the Bot API). */
export async function readParams(request: FastifyRequest): Promise<Params> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  if (!request.isMultipart()) {
    const body = request.body;
    const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    return new Params({ ...query, ...fields });
  }
  const values: Record<string, unknown> = { ...query };
  const files = new Map<string, UploadedFile>();
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        files.set(part.fieldname, { fileName: part.filename || part.fieldname, mimeType: part.mimetype, data: await part.toBuffer() });
      } else {
        values[part.fieldname] = typeof part.value === 'string' ? part.value : String(part.value);
      }
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new BodyError(413, 'Request Entity Too Large');
    throw new BodyError(400, `can't parse multipart body: ${(error as Error).message}`);
  }
  return new Params(values, files);
}
