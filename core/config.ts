import { ConfigError } from './errors';
import { TZ_OFFSET_EXPECTED, readTzOffset } from './tz-offset';

/**
 * Every environment variable TradePilot reads, parsed once at start-up.
 * This is the only module that touches process.env (drizzle.config.ts aside).
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  telegram: {
    /** Unset → the local Telegram sandbox is started and the bot talks to it. */
    token: string | undefined;
    apiRoot: string;
    mode: 'polling' | 'webhook';
    webhookUrl: string | undefined;
    webhookSecret: string | undefined;
  };
  databaseUrl: string | undefined;
  clickhouseUrl: string | undefined;
  redisUrl: string | undefined;
  admin: { host: string; port: number; apiKey: string | undefined };
  mt5BridgePort: number;
  /** Where market data comes from: the seeded sandbox feed, MT5 terminals over the bridge, or stored history replayed. */
  marketFeed: 'sandbox' | 'mt5' | 'replay';
  /** Symbols the engine routes in mt5 mode (the terminals' Market Watch names). */
  mt5Symbols: string[];
  /** Preferred MT5 terminals, best first: a broker server (every account on it) or one account on it. Empty → order of first connection. */
  mt5FeedPriority: Array<{ server: string; account?: string }>;
  /** MARKET_FEED=replay: what to play and how fast (empty lists otherwise). */
  replay: ReplayConfig;
  /** Nice value the engine asks for its event-loop thread (-20…0; 0 = leave it alone). */
  eventLoopNice: number;
  /** 32-byte key for encryption at rest; unset → generated once into DATA_DIR (embedded mode only). */
  masterKey: Buffer | undefined;
  dataDir: string;
  logLevel: LogLevel;
}

export interface ReplayConfig {
  /** Symbols whose stored ticks are replayed from ClickHouse. */
  symbols: string[];
  /** MT5 tick exports or EA tick captures to replay (the symbol from each file's name). */
  files: string[];
  /** ClickHouse range, UTC epoch ms: from inclusive, to exclusive. */
  fromMs: number | undefined;
  toMs: number | undefined;
  /** ×N of market time per wall-clock time, or 'max' (as fast as the engine takes them). */
  speed: number | 'max';
  /** The files' broker server time − UTC, in minutes. */
  tzOffsetMinutes: number;
}

/** Names whose values must never be echoed back, not even in a validation error. */
const SECRET_VARS = new Set(['TELEGRAM_BOT_TOKEN', 'WEBHOOK_SECRET', 'ADMIN_API_KEY', 'MASTER_KEY', 'DATABASE_URL', 'REDIS_URL', 'CLICKHOUSE_URL']);

const optional = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value.trim());

function port(name: string, fallback: number) {
  return (raw: string | undefined): number => {
    const value = optional(raw);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) > 65535) throw new ConfigError(`${name}=${JSON.stringify(value)} is not a port: expected a whole number from 0 to 65535`);
    return Number(value);
  };
}

function url(name: string, protocols: string[]) {
  return (raw: string | undefined): string | undefined => {
    const value = optional(raw);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(`${name} is not a valid URL: expected ${protocols.map((p) => `${p}//…`).join(' or ')}`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(`${name} has protocol "${parsed.protocol}": expected ${protocols.map((p) => `${p}//…`).join(' or ')}`);
    }
    return value;
  };
}

const tokenPattern = /^\d{3,}:[A-Za-z0-9_-]{30,}$/;
const webhookSecretPattern = /^[A-Za-z0-9_-]{1,256}$/;

function masterKey(raw: string | undefined): Buffer | undefined {
  const value = optional(raw);
  if (value === undefined) return undefined;
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(value) && !/^[A-Za-z0-9+/]{43}=?$/.test(value))) {
    throw new ConfigError('MASTER_KEY must be 32 bytes, written as 64 hex characters or 44 base64 characters (generate one with: openssl rand -hex 32)');
  }
  return key;
}

/**
 * One MT5_FEED_PRIORITY entry, `<server>` or `<server>:<account>` as the terminal's hello
 * sends them (server ≤ 128 characters, account ≤ 64, like the bridge's hello schema).
 */
const FEED_PRIORITY_ENTRY = /^[^:,\s](?:[^:,]{0,126}[^:,\s])?(?::[^:,\s]{1,64})?$/;

/** The non-empty, trimmed entries of a comma list. */
const commaList = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean);

function mt5FeedPriority(raw: string | undefined): Config['mt5FeedPriority'] {
  const value = optional(raw);
  if (value === undefined) return [];
  const seen = new Set<string>();
  return commaList(value).map((entry) => {
    if (!FEED_PRIORITY_ENTRY.test(entry)) {
      throw new ConfigError(`MT5_FEED_PRIORITY has an invalid entry ${JSON.stringify(entry)}: expected a comma list of <server> or <server>:<account> (e.g. ICMarketsSC-Live:51234567,Pepperstone-Edge)`);
    }
    const colon = entry.indexOf(':');
    const parsed = colon === -1 ? { server: entry } : { server: entry.slice(0, colon), account: entry.slice(colon + 1) };
    // Server names are matched case-insensitively (engine/ingest/sources/terminal-sources.ts).
    const key = `${parsed.server.toLowerCase()}:${parsed.account ?? ''}`;
    if (seen.has(key)) throw new ConfigError(`MT5_FEED_PRIORITY lists ${JSON.stringify(entry)} twice`);
    seen.add(key);
    return parsed;
  });
}

const SYMBOL = /^[A-Za-z0-9._#-]{1,32}$/;

function symbolList(name: string, raw: string | undefined, fallback: string): string[] {
  const symbols = commaList(optional(raw) ?? fallback);
  const bad = symbols.find((s) => !SYMBOL.test(s));
  if (bad !== undefined || (fallback !== '' && symbols.length === 0)) {
    throw new ConfigError(`${name} has ${bad === undefined ? 'no symbol' : `an invalid symbol ${JSON.stringify(bad)}`}: expected a comma list of 1-32 letters, digits or . _ # -`);
  }
  return symbols;
}

/** An ISO-8601 date (UTC midnight) or date-time with a zone; undefined when unset. */
function utcTime(name: string, raw: string | undefined): number | undefined {
  const value = optional(raw);
  if (value === undefined) return undefined;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const withZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value);
  const ms = dateOnly || withZone ? Date.parse(dateOnly ? `${value}T00:00:00Z` : value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new ConfigError(`${name}=${JSON.stringify(value)} is not a time: expected an ISO-8601 date (2024-03-01) or date-time with its zone (2024-03-01T09:30:00Z)`);
  return ms;
}

/** What the engine asks for its event-loop thread when EVENT_LOOP_NICE is unset (engine/event-loop-priority.ts). */
export const DEFAULT_EVENT_LOOP_NICE = -10;

/** EVENT_LOOP_NICE: a nice value from -20 (highest priority) to 0 (leave the priority alone). */
function eventLoopNice(raw: string | undefined): number {
  const text = optional(raw);
  if (text === undefined) return DEFAULT_EVENT_LOOP_NICE;
  const nice = Number(text);
  if (!/^-?\d+$/.test(text) || nice < -20 || nice > 0) {
    throw new ConfigError(`EVENT_LOOP_NICE=${JSON.stringify(text)} is not allowed: expected a whole number from -20 (highest priority) to 0 (leave the priority alone)`);
  }
  return nice === 0 ? 0 : nice;
}

function replayConfig(raw: RawEnv, enabled: boolean): ReplayConfig {
  const symbols = symbolList('REPLAY_SYMBOLS', raw.REPLAY_SYMBOLS, '');
  const files = commaList(optional(raw.REPLAY_FILES) ?? '');
  const fromMs = utcTime('REPLAY_FROM', raw.REPLAY_FROM);
  const toMs = utcTime('REPLAY_TO', raw.REPLAY_TO);
  if (fromMs !== undefined && toMs !== undefined && !(toMs > fromMs)) throw new ConfigError('REPLAY_TO must be later than REPLAY_FROM');
  const speedText = optional(raw.REPLAY_SPEED) ?? '1';
  const speed = speedText === 'max' ? 'max' : Number(speedText);
  if (speed !== 'max' && (!/^\d+(\.\d+)?$/.test(speedText) || !(speed > 0) || speed > 1_000_000)) {
    throw new ConfigError(`REPLAY_SPEED=${JSON.stringify(speedText)} is not a speed: expected a number > 0 (×N of real time, up to 1000000) or "max"`);
  }
  const offsetText = optional(raw.REPLAY_TZ_OFFSET) ?? '0';
  const offset = readTzOffset(offsetText);
  if (!offset.ok) throw new ConfigError(`REPLAY_TZ_OFFSET=${JSON.stringify(offsetText)} ${offset.problem}: ${TZ_OFFSET_EXPECTED}`);
  const tzOffsetMinutes = offset.minutes;
  if (enabled && symbols.length === 0 && files.length === 0) {
    throw new ConfigError('MARKET_FEED=replay needs something to play: set REPLAY_SYMBOLS (ticks stored in ClickHouse) or REPLAY_FILES (tick files)');
  }
  return { symbols, files, fromMs, toMs, speed, tzOffsetMinutes };
}

/** The variables loadConfig reads; a name not listed here is a type error. */
type EnvVar =
  | 'TELEGRAM_BOT_TOKEN' | 'TELEGRAM_API_ROOT' | 'BOT_MODE' | 'WEBHOOK_URL' | 'WEBHOOK_SECRET'
  | 'DATABASE_URL' | 'CLICKHOUSE_URL' | 'REDIS_URL' | 'ADMIN_HOST' | 'ADMIN_PORT' | 'MT5_BRIDGE_PORT'
  | 'MARKET_FEED' | 'MT5_SYMBOLS' | 'MT5_FEED_PRIORITY' | 'REPLAY_SYMBOLS' | 'REPLAY_FILES'
  | 'REPLAY_FROM' | 'REPLAY_TO' | 'REPLAY_SPEED' | 'REPLAY_TZ_OFFSET' | 'EVENT_LOOP_NICE'
  | 'ADMIN_API_KEY' | 'MASTER_KEY' | 'DATA_DIR' | 'LOG_LEVEL';
type RawEnv = Partial<Record<EnvVar, string>>;

/**
 * Parse and validate the environment. Throws ConfigError with one line naming the
 * variable and what is wrong; secret values are never included in that line.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: RawEnv = env;

  const token = optional(raw.TELEGRAM_BOT_TOKEN);
  if (token !== undefined && !tokenPattern.test(token)) {
    throw new ConfigError('TELEGRAM_BOT_TOKEN is malformed: expected "<bot id>:<secret>" as issued by @BotFather');
  }
  const apiRoot = url('TELEGRAM_API_ROOT', ['http:', 'https:'])(raw.TELEGRAM_API_ROOT) ?? 'https://api.telegram.org';

  const mode = optional(raw.BOT_MODE) ?? 'polling';
  if (mode !== 'polling' && mode !== 'webhook') throw new ConfigError(`BOT_MODE=${JSON.stringify(mode)} is not allowed: expected "polling" or "webhook"`);
  const webhookUrl = url('WEBHOOK_URL', ['https:', 'http:'])(raw.WEBHOOK_URL);
  const webhookSecret = optional(raw.WEBHOOK_SECRET);
  if (webhookSecret !== undefined && !webhookSecretPattern.test(webhookSecret)) {
    throw new ConfigError('WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, "_" and "-" (Telegram\'s rule for secret_token)');
  }
  if (mode === 'webhook') {
    if (webhookUrl === undefined) throw new ConfigError('WEBHOOK_URL is required when BOT_MODE=webhook');
    if (webhookSecret === undefined) throw new ConfigError('WEBHOOK_SECRET is required when BOT_MODE=webhook (Telegram sends it in X-Telegram-Bot-Api-Secret-Token)');
  }

  const logLevel = optional(raw.LOG_LEVEL) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL=${JSON.stringify(logLevel)} is not a level: expected one of ${LOG_LEVELS.join(', ')}`);
  }

  const apiKey = optional(raw.ADMIN_API_KEY);
  if (apiKey !== undefined && apiKey.length < 16) throw new ConfigError('ADMIN_API_KEY is too short: use at least 16 characters');

  const adminHost = optional(raw.ADMIN_HOST) ?? '127.0.0.1';

  const marketFeed = optional(raw.MARKET_FEED) ?? 'sandbox';
  if (marketFeed !== 'sandbox' && marketFeed !== 'mt5' && marketFeed !== 'replay') {
    throw new ConfigError(`MARKET_FEED=${JSON.stringify(marketFeed)} is not allowed: expected "sandbox", "mt5" or "replay"`);
  }
  const mt5Symbols = symbolList('MT5_SYMBOLS', raw.MT5_SYMBOLS, 'EURUSD,GBPUSD,USDJPY,XAUUSD,BTCUSD');
  const replay = replayConfig(raw, marketFeed === 'replay');

  return {
    telegram: { token, apiRoot, mode, webhookUrl, webhookSecret },
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:'])(raw.DATABASE_URL),
    clickhouseUrl: url('CLICKHOUSE_URL', ['http:', 'https:'])(raw.CLICKHOUSE_URL),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:'])(raw.REDIS_URL),
    admin: { host: adminHost, port: port('ADMIN_PORT', 8080)(raw.ADMIN_PORT), apiKey },
    mt5BridgePort: port('MT5_BRIDGE_PORT', 5555)(raw.MT5_BRIDGE_PORT),
    marketFeed,
    mt5Symbols,
    mt5FeedPriority: mt5FeedPriority(raw.MT5_FEED_PRIORITY),
    replay,
    eventLoopNice: eventLoopNice(raw.EVENT_LOOP_NICE),
    masterKey: masterKey(raw.MASTER_KEY),
    dataDir: optional(raw.DATA_DIR) ?? './data',
    logLevel: logLevel as LogLevel,
  };
}

/** Values that must be masked wherever they might appear (logs, error replies). */
export function secretsOf(config: Config): string[] {
  const secrets: string[] = [];
  if (config.telegram.token) secrets.push(config.telegram.token, config.telegram.token.split(':')[1] ?? '');
  if (config.telegram.webhookSecret) secrets.push(config.telegram.webhookSecret);
  if (config.admin.apiKey) secrets.push(config.admin.apiKey);
  if (config.masterKey) secrets.push(config.masterKey.toString('hex'), config.masterKey.toString('base64'));
  for (const value of [config.databaseUrl, config.redisUrl, config.clickhouseUrl]) {
    const password = value ? passwordOf(value) : undefined;
    if (password) secrets.push(password, encodeURIComponent(password));
  }
  return secrets.filter((s) => s.length >= 4);
}

/** The decoded password of a connection URL, to scrub it from messages; undefined when none. */
export function passwordOf(value: string): string | undefined {
  try {
    const password = new URL(value).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/** A connection URL with its password replaced, fit for a log line or an error. */
export function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

export function isSecretVar(name: string): boolean {
  return SECRET_VARS.has(name);
}
