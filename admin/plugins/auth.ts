import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SignJWT, jwtVerify } from 'jose';
import { ForbiddenError, safeEqual } from '../../core';

/** Who is calling the admin API. Only operators exist at this stage; tenant API keys come later. */
export interface Principal {
  kind: 'operator';
  via: 'api_key' | 'jwt';
}

export interface AdminAuth {
  /** Verify the Authorization header; throws a 401-shaped error otherwise. */
  authenticate(request: FastifyRequest): Promise<Principal>;
  issueOperatorToken(): Promise<{ token: string; expiresIn: number }>;
}

const TOKEN_TTL_SECONDS = 15 * 60;

export class UnauthorizedError extends ForbiddenError {
  readonly statusCode = 401;
  constructor(message: string) {
    super('unauthorized', message);
  }
}

/**
 * Operator auth: `Authorization: Bearer <ADMIN_API_KEY>` or a JWT issued for it
 * (HS256, 15 minutes). The JWT key is derived from MASTER_KEY, so every admin instance
 * sharing that key accepts the others' tokens.
 */
export function createAdminAuth(options: { apiKey: string; masterKey: Buffer }): AdminAuth {
  const jwtKey = createHmac('sha256', options.masterKey).update('tradepilot/admin-jwt/v1').digest();
  return {
    async authenticate(request) {
      const header = request.headers.authorization;
      if (!header) throw new UnauthorizedError('missing Authorization header: send "Authorization: Bearer <ADMIN_API_KEY or token>"');
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new UnauthorizedError('Authorization header must be "Bearer <credential>"');
      const credential = match[1]!;
      if (safeEqual(credential, options.apiKey)) return { kind: 'operator', via: 'api_key' };
      if (credential.split('.').length === 3) {
        try {
          const { payload } = await jwtVerify(credential, jwtKey, { algorithms: ['HS256'], issuer: 'tradepilot', audience: 'tradepilot-admin' });
          if (payload.sub === 'operator') return { kind: 'operator', via: 'jwt' };
        } catch {
          throw new UnauthorizedError('token is invalid or expired');
        }
      }
      throw new UnauthorizedError('credential not accepted');
    },
    async issueOperatorToken() {
      const token = await new SignJWT({ role: 'operator' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('operator')
        .setIssuer('tradepilot')
        .setAudience('tradepilot-admin')
        .setIssuedAt()
        .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
        .sign(jwtKey);
      return { token, expiresIn: TOKEN_TTL_SECONDS };
    },
  };
}

/** preHandler for routes that need an operator. */
export function requireOperator(auth: AdminAuth) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      request.principal = await auth.authenticate(request);
    } catch (error) {
      if (error instanceof UnauthorizedError) {
        reply.header('www-authenticate', 'Bearer realm="tradepilot"');
        return reply.status(401).send({ error: 'unauthorized', message: error.message });
      }
      throw error;
    }
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
