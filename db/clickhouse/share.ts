import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import path from 'node:path';
import type { ChdbConnection } from 'chdb/connection';
import type { Logger } from '../../core/logger';

// chDB lets one process open a data directory. On a laptop that process is `tradepilot
// start`, and a trader who wants to import history meanwhile should not have to stop it: the
// process that holds the embedded ClickHouse answers the part of ClickHouse's HTTP interface
// that @clickhouse/client uses, on a Unix socket in DATA_DIR, and `tradepilot import` (any
// local process that opens the same DATA_DIR's ClickHouse) reaches the store through it as
// it would reach a server. The socket sits in a directory only its owner may enter: whoever
// can use it could read DATA_DIR anyway.

/** Where the holder of `${dataDir}/ch` listens. */
export function shareSocketPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'run', 'clickhouse.sock');
}

/** The longest Unix socket path the kernel accepts (sun_path is 108 bytes, NUL included). */
const MAX_SOCKET_PATH_BYTES = 107;
/**
 * Largest request body accepted. The importer's inserts are a few hundred KiB; its largest
 * batch (`--batch-size 1000000`) makes bodies of ≈ 70-90 MB.
 */
export const MAX_SHARE_BODY_BYTES = 256 * 1024 * 1024;
/** What a stopping holder answers to a request, and what `shareLost` recognises. */
const STOPPING = 'is stopping';
/** How long close() lets running requests finish before it cuts their connections. */
const CLOSE_GRACE_MS = 3_000;

export interface ClickHouseShare {
  close(): Promise<void>;
}

/**
 * Serves `connection` on `shareSocketPath(dataDir)`. The caller must hold the directory's
 * chDB lock: a socket file already there is a crashed holder's and is replaced. Resolves to
 * undefined (with a warning) when the path is too long for a Unix socket.
 */
export async function shareEmbeddedClickHouse(connection: ChdbConnection, dataDir: string, logger: Logger): Promise<ClickHouseShare | undefined> {
  const socketPath = shareSocketPath(dataDir);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    logger.warn({ socketPath }, `DATA_DIR is too deep for a Unix socket (${MAX_SOCKET_PATH_BYTES} bytes at most): other tradepilot commands cannot use this process's embedded ClickHouse while it runs`);
    return undefined;
  }
  const dir = path.dirname(socketPath);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  rmSync(socketPath, { force: true });

  let closing = false;
  // What each local client did, logged when it disconnects (an import: its inserts).
  const tallies = new WeakMap<Socket, { requests: number; failed: number; rowsWritten: number; since: number }>();
  const server = createServer((request, response) => {
    if (closing) {
      // A request on a kept-alive connection after close() began: the client learns why, and
      // the connection ends with this answer.
      response.setHeader('Connection', 'close');
      request.resume();
      sendError(response, 503, 1002, 'UNKNOWN_EXCEPTION', `the process holding the embedded ClickHouse (PID ${process.pid}) ${STOPPING}`);
      return;
    }
    const tally = tallies.get(request.socket);
    void answer(connection, request, response)
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'shared ClickHouse: could not answer a request');
        if (!response.headersSent) return sendError(response, 500, 1001, 'STD_EXCEPTION', messageOf(error));
        response.destroy();
        return false;
      })
      .then((written) => {
        if (!tally) return;
        tally.requests++;
        if (written === false) tally.failed++;
        else tally.rowsWritten += written;
      });
  });
  server.on('connection', (socket: Socket) => {
    const tally = { requests: 0, failed: 0, rowsWritten: 0, since: performance.now() };
    tallies.set(socket, tally);
    socket.once('close', () => {
      if (tally.requests === 0) return;
      const { since, ...counts } = tally;
      logger.info({ ...counts, seconds: Math.round((performance.now() - since) / 100) / 10 }, 'a local client of the embedded ClickHouse disconnected');
    });
  });
  // A CLI that is killed mid-request leaves its socket half-open; nothing should wait on it.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socketPath, 0o600);
  logger.info({ socketPath }, 'tradepilot import reaches the embedded ClickHouse through this process while it runs');

  let closed: Promise<void> | undefined;
  return {
    /**
     * Stops taking connections and ends the open ones: a request already running finishes
     * (its insert is whole or absent), later ones are refused (503), and what is still open
     * after CLOSE_GRACE_MS is cut, so that an import cannot hold up a shutdown.
     */
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }).then(() => rmSync(socketPath, { force: true }));
      return closed;
    },
  };
}

/** An http.Agent whose connections go to a Unix socket, for @clickhouse/client's `http_agent`. */
export function unixSocketAgent(socketPath: string): Agent {
  return new (class extends Agent {
    override createConnection(): Socket {
      return createConnection(socketPath);
    }
  })({ keepAlive: true, maxSockets: 4 });
}

/** Errors of a connection to the socket that ended, or could not be made (the socket file gone). */
const GONE_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ENOENT']);

/**
 * True when `error`, from a request through another process's socket, means that process went
 * away (stopped, or is stopping): the connection broke or could not be made, or it answered
 * that it is stopping.
 */
export function shareLost(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && GONE_CODES.has(code)) return true;
    if (typeof message === 'string' && message.includes(` ${STOPPING}`)) return true;
  }
  return false;
}

/** `INSERT INTO t (a, b) FORMAT F`, as @clickhouse/client writes it for `insert()`. */
const CLIENT_INSERT = /^INSERT INTO ([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)(?: \(([A-Za-z0-9_, ]+)\))? FORMAT (JSONEachRow|JSONCompactEachRow|CSV|CSVWithNames|TSV|TabSeparated|TSVWithNames|TabSeparatedWithNames)$/;
/**
 * What a client's insert runs with unless it says otherwise: one thread, as the importer's own
 * inserts into chDB do, so that a bulk load leaves the other cores to the engine's live work
 * (and does not make chDB's parallel parser allocate a buffer per core in the engine).
 */
const INSERT_DEFAULTS = { max_threads: 1, max_insert_threads: 1, input_format_parallel_parsing: 0 } as const;
/** URL parameters of ClickHouse's HTTP interface that are not settings. */
const NOT_SETTINGS = new Set(['query', 'query_id', 'database', 'user', 'password', 'default_format']);
/** Settings of ClickHouse's HTTP layer, which here is this file: they mean nothing to the engine. */
const HTTP_LAYER_SETTINGS = new Set(['wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'enable_http_compression', 'http_zlib_compression_level', 'http_response_buffer_size', 'buffer_size']);
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Answers one request: the rows it wrote, or false when it was refused or failed. */
async function answer(connection: ChdbConnection, request: IncomingMessage, response: ServerResponse): Promise<number | false> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (url.pathname === '/ping') {
    response.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
    return 0;
  }
  if (url.pathname !== '/') return sendError(response, 404, 1002, 'UNKNOWN_EXCEPTION', `no handler for ${url.pathname}: this socket answers / and /ping`);
  // ClickHouse runs a GET read-only; the client sends every query as a POST, and this socket takes no other.
  if (request.method !== 'POST') return sendError(response, 405, 1002, 'UNKNOWN_EXCEPTION', `method ${request.method} is not allowed here: send queries as POST`);
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') return sendError(response, 415, 1002, 'UNKNOWN_EXCEPTION', `Content-Encoding ${encoding} is not supported here: send the body uncompressed`);

  const body = await readBody(request);
  if (body === undefined) return sendError(response, 413, 1002, 'UNKNOWN_EXCEPTION', `the request body is larger than ${MAX_SHARE_BODY_BYTES} bytes`);

  const params = url.searchParams;
  const database = params.get('database');
  if (database !== null && database !== 'default') return sendError(response, 400, 81, 'UNKNOWN_DATABASE', `database ${database} does not exist: the embedded ClickHouse has only default`);
  if (params.has('session_id')) return sendError(response, 400, 1002, 'UNKNOWN_EXCEPTION', 'sessions (session_id) are not supported by a shared embedded ClickHouse');
  const settings: [string, string][] = [];
  const queryParams: Record<string, string | null> = {};
  for (const [key, value] of params) {
    if (key.startsWith('param_')) queryParams[key.slice('param_'.length)] = unescapeParam(value);
    else if (!NOT_SETTINGS.has(key) && !HTTP_LAYER_SETTINGS.has(key)) {
      if (!SETTING_NAME.test(key)) return sendError(response, 400, 115, 'UNKNOWN_SETTING', `${JSON.stringify(key)} is not a setting name`);
      settings.push([key, value]);
    }
  }
  const queryId = params.get('query_id') ?? undefined;
  const format = params.get('default_format') ?? 'TabSeparated';
  const inUrl = params.get('query');
  const sql = inUrl ?? body.toString('utf8');
  const data = inUrl !== null && body.length > 0 ? body : undefined;
  if (sql.trim() === '') return sendError(response, 400, 62, 'SYNTAX_ERROR', 'empty query');

  try {
    const insert = data ? CLIENT_INSERT.exec(sql.trim()) : null;
    if (insert) {
      const [, table, columns, insertFormat] = insert;
      const summary = await connection.chdb.rawInsert({
        table: table!,
        values: data!,
        format: insertFormat as 'TabSeparated',
        ...(columns ? { columns: columns.split(',').map((column) => column.trim()) } : {}),
        settings: { ...INSERT_DEFAULTS, ...Object.fromEntries(settings.map(([key, value]) => [key, settingValue(value)])) },
      });
      response.writeHead(200, headers(queryId, format, { written_rows: summary.rowsWritten, written_bytes: summary.bytesWritten }));
      response.end();
      return summary.rowsWritten;
    }
    if (data && settings.length > 0) return sendError(response, 400, 1002, 'UNKNOWN_EXCEPTION', 'settings on an insert are supported only for INSERT INTO table (columns) FORMAT F');
    // Settings go on the statement itself (ClickHouse takes a SETTINGS clause after FORMAT
    // too): chDB's connection would SET them for the whole session, which the engine shares.
    const statement = data ? `${sql}\n${data.toString('utf8')}` : withSettings(sql, settings);
    const result = await connection.exec({
      query: statement,
      ...(queryId ? { query_id: queryId } : {}),
      ...(Object.keys(queryParams).length > 0 ? { query_params: queryParams } : {}),
      clickhouse_settings: { default_format: format as 'TabSeparated' },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of result.stream) chunks.push(chunk as Buffer);
    const output = Buffer.concat(chunks);
    response.writeHead(200, headers(queryId, format, { read_rows: Number(result.summary?.read_rows ?? 0), result_bytes: output.length }));
    response.end(output);
    return 0;
  } catch (error) {
    return sendError(response, 500, 1001, 'STD_EXCEPTION', engineErrorText(error));
  }
}

/** The whole body, or undefined once it passes MAX_SHARE_BODY_BYTES (the rest is drained). */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_SHARE_BODY_BYTES) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  return tooLarge ? undefined : Buffer.concat(chunks, size);
}

function withSettings(sql: string, settings: [string, string][]): string {
  if (settings.length === 0) return sql;
  const body = sql.replace(/[\s;]+$/, '');
  return `${body}\nSETTINGS ${settings.map(([key, value]) => `${key} = ${settingLiteral(value)}`).join(', ')}`;
}

/** A setting's value as the URL carries it: numbers stay numbers, the rest is text. */
const NUMERIC = /^-?\d+(\.\d+)?$/;

function settingValue(value: string): string | number {
  return NUMERIC.test(value) ? Number(value) : value;
}

function settingLiteral(value: string): string {
  return NUMERIC.test(value) ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A query parameter as the client sent it (ClickHouse's escaped text form) back to the value
 * it stands for; chDB escapes the value again when it binds it. Exact for strings and
 * numbers, which is what the platform binds.
 */
function unescapeParam(text: string): string | null {
  if (text === '\\N') return null;
  if (!text.includes('\\')) return text;
  return text.replace(/\\(.)/gs, (_, c: string) => ESCAPES[c] ?? c);
}
const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', b: '\b', f: '\f', '0': '\0', a: '\x07', v: '\v' };

function headers(queryId: string | undefined, format: string, summary: Record<string, number>): Record<string, string> {
  const full = { read_rows: 0, read_bytes: 0, written_rows: 0, written_bytes: 0, total_rows_to_read: 0, result_rows: 0, result_bytes: 0, ...summary };
  return {
    'Content-Type': 'text/plain; charset=UTF-8',
    'X-ClickHouse-Format': format,
    'X-ClickHouse-Summary': JSON.stringify(Object.fromEntries(Object.entries(full).map(([key, value]) => [key, String(value)]))),
    ...(queryId ? { 'X-ClickHouse-Query-Id': queryId } : {}),
  };
}

/** The engine's own error text (`Code: N. DB::Exception: … (TYPE)`), which the client parses. */
function engineErrorText(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  for (const candidate of [cause, error]) {
    const text = candidate instanceof Error ? candidate.message : undefined;
    if (text && ENGINE_ERROR.test(text)) return text;
  }
  return messageOf(error);
}

/** ClickHouse's error text, `Code: N. DB::Exception: … (TYPE)`. */
const ENGINE_ERROR = /^Code: (\d+)\./;

/**
 * Answers with an error as ClickHouse does. `message` already in the engine's form (with its own
 * code) is sent as it is; otherwise it is put in that form with `code` and `type`.
 */
function sendError(response: ServerResponse, status: number, code: number, type: string, message: string): false {
  const own = ENGINE_ERROR.exec(message);
  const text = own ? message : `Code: ${code}. DB::Exception: ${message} (${type})`;
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': own ? own[1]! : String(code) });
  response.end(`${text}\n`);
  return false;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
