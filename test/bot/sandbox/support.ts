import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTelegramSandbox, type Limits, type TelegramSandbox, type TelegramSandboxOptions } from '../../../bot/sandbox';

/** Limits high enough that rate limiting never gets in the way of a test about something else. */
export const NO_RATE_LIMITS: Partial<Limits> = {
  botPerSecond: Infinity,
  botBurst: Infinity,
  chatPerSecond: Infinity,
  chatBurst: Infinity,
  groupPerMinute: Infinity,
  groupBurst: Infinity,
};

export async function startSandbox(options: TelegramSandboxOptions = {}): Promise<TelegramSandbox> {
  const sandbox = createTelegramSandbox(options);
  await sandbox.start();
  return sandbox;
}

export interface ApiAnswer {
  status: number;
  body: { ok: boolean; result?: any; error_code?: number; description?: string; parameters?: { retry_after?: number } };
}

/** A raw Bot API call with a JSON body, as grammY makes it. */
export async function callApi(apiRoot: string, token: string, method: string, params: Record<string, unknown> = {}, signal?: AbortSignal): Promise<ApiAnswer> {
  const response = await fetch(`${apiRoot}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
    ...(signal ? { signal } : {}),
  });
  return { status: response.status, body: (await response.json()) as ApiAnswer['body'] };
}

/** A one-pixel PNG. */
export const PNG_1X1 = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e2f4e2df0000000049454e44ae426082',
  'hex',
);

/** A PNG header claiming 400×300 (enough for the sandbox, which reads dimensions only). */
export function pngOfSize(width: number, height: number): Buffer {
  const png = Buffer.from(PNG_1X1);
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  return png;
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: any;
}

/** A webhook receiver on node:http: answers with `respond(n)` for the n-th request (0-based). */
export async function startReceiver(respond: (n: number, body: any) => { status: number; body?: unknown }): Promise<{
  url: string;
  received: ReceivedRequest[];
  waitFor: (count: number, timeoutMs?: number) => Promise<void>;
  close: () => Promise<void>;
}> {
  const received: ReceivedRequest[] = [];
  const waiters: Array<() => void> = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const n = received.length;
      received.push({ headers: request.headers, body });
      const answer = respond(n, body);
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`the webhook receiver got ${received.length} of ${count} requests`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A response body as loosely typed JSON, for assertions. */
export async function jsonOf(response: Response): Promise<any> {
  return await response.json();
}
