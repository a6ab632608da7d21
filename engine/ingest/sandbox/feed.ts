/**
 * Sandbox market feed: seeded, deterministic, realistic-looking ticks for demos, the
 * playground and tests when no MT5 terminal is connected. Pure: no timers, no I/O, no wall
 * clock — the caller asks for the next tick and schedules it (see `nextTickTimeMs`,
 * `nextDelayMs`).
 *
 * Model, per symbol, each with its own random stream (seed × symbol name):
 *
 * 1. Price: the log of the mid price is a driftless random walk with one step per tick,
 *      Δln(mid) = σ_tick · ε − σ_tick²/2,   ε ~ Student-t(4) scaled to unit variance,
 *    fat-tailed like real tick returns, clipped at ±12 so the feed stays clean input for
 *    the quality gate (tests inject bad ticks on purpose). σ_tick = σ_s · v / √λ, where σ_s is the symbol's
 *    annual volatility spread over the seconds the market is open in a year, v the
 *    volatility multiplier of the current regime × session and λ the current tick rate:
 *    the variance per second of time, λ·σ_tick², is then (σ_s·v)² whatever the tick rate,
 *    so busier sessions get more, smaller steps, not more volatility.
 * 2. Volatility regimes: a 3-state continuous-time Markov chain — calm (v×0.6, rate ×0.8,
 *    spread ×1, mean stay 4 h), normal (×1, ×1, ×1.15, 6 h), volatile (×2.2, ×1.6, ×2.2,
 *    1 h). Stays are exponential; on leaving, calm goes to normal 90 % / volatile 10 %,
 *    normal to calm 60 % / volatile 40 %, volatile to normal 80 % / calm 20 %. Roughly what
 *    FX looks like: long quiet stretches, shorter bursts after news.
 * 3. Sessions (UTC hours, fixed — no daylight saving, documented simplification), each with
 *    (volatility, tick rate, spread) multipliers. FX: Asia 23–07 h (0.6, 0.45, 1.3), London
 *    07–12 h (1.1, 1.2, 1.0), London/New York overlap 12–16 h (1.4, 1.6, 0.9), New York
 *    16–21 h (0.9, 0.9, 1.0), late 21–23 h (0.5, 0.35, 1.6). USDJPY is busier in Asia
 *    (0.9, 0.8, 1.1). BTCUSD is flatter (0.85–1.2): crypto trades around the clock.
 * 4. Tick arrivals: a Poisson process whose rate λ = base rate × session × regime, constant
 *    between hour boundaries and regime switches; at each such boundary the waiting time is
 *    drawn afresh, which is exact because exponential waits are memoryless. A tick whose
 *    rounded quote equals the previous one is not sent (MT5 only sends changes), so the
 *    observed rate is a little below λ for symbols with few digits.
 * 5. Spread, in whole points: base × regime × session × rollover × e^(0.15·N(0,1)), at least
 *    the symbol's minimum. Rollover (17:00 New York, where brokers roll positions and
 *    liquidity thins): ×3.5 from 16:55 to 17:05, ×2 until 17:30.
 * 6. Quote: bid = mid − spread/2 rounded to the symbol's digits, ask = bid + spread, both
 *    exact multiples of the point (bid ≤ ask by construction, prices stay positive since the
 *    walk is on the log). Flags say which side changed (TICK_FLAG.BID / ASK).
 * 7. Market hours: FX and gold follow the FX calendar (closed Friday 17:00 → Sunday 17:00 New
 *    York time, so nothing on Saturday UTC); BTCUSD trades 24/7. Regimes keep switching while
 *    a market is closed.
 *
 * Presets (start mid, digits, annual volatility, base/min spread in points, base ticks/s):
 * EURUSD 1.085 5 7 % 8/2 1.5 · GBPUSD 1.27 5 8 % 12/4 1.2 · USDJPY 151.5 3 9 % 12/4 1.2 ·
 * XAUUSD 2350 2 15 % 25/10 2 · BTCUSD 65000 2 55 % 1700/800 1.5 (the BTC spread is the one in
 * the captured Vantage demo ticks, about 17 USD).
 */
import type { Tick } from '../../market/types';
import { TICK_FLAG } from '../../market/types';
import { ALWAYS_OPEN, fxCalendar, newYorkOffsetMs, type MarketCalendar } from '../../quality';
import { Rng } from './random';

export type Regime = 'calm' | 'normal' | 'volatile';
export type SessionProfile = 'fx' | 'jpy' | 'crypto';

export interface SandboxSymbolSpec {
  symbol: string;
  digits: number;
  startPrice: number;
  annualVol: number;
  baseSpreadPoints: number;
  minSpreadPoints: number;
  /** Ticks per second at session and regime multiplier 1. */
  baseTickRate: number;
  /** `fx` closes at weekends; `always` trades 24/7. */
  hours: 'fx' | 'always';
  profile: SessionProfile;
}

export const SANDBOX_SYMBOLS = {
  EURUSD: { symbol: 'EURUSD', digits: 5, startPrice: 1.085, annualVol: 0.07, baseSpreadPoints: 8, minSpreadPoints: 2, baseTickRate: 1.5, hours: 'fx', profile: 'fx' },
  GBPUSD: { symbol: 'GBPUSD', digits: 5, startPrice: 1.27, annualVol: 0.08, baseSpreadPoints: 12, minSpreadPoints: 4, baseTickRate: 1.2, hours: 'fx', profile: 'fx' },
  USDJPY: { symbol: 'USDJPY', digits: 3, startPrice: 151.5, annualVol: 0.09, baseSpreadPoints: 12, minSpreadPoints: 4, baseTickRate: 1.2, hours: 'fx', profile: 'jpy' },
  XAUUSD: { symbol: 'XAUUSD', digits: 2, startPrice: 2350, annualVol: 0.15, baseSpreadPoints: 25, minSpreadPoints: 10, baseTickRate: 2, hours: 'fx', profile: 'fx' },
  BTCUSD: { symbol: 'BTCUSD', digits: 2, startPrice: 65000, annualVol: 0.55, baseSpreadPoints: 1700, minSpreadPoints: 800, baseTickRate: 1.5, hours: 'always', profile: 'crypto' },
} as const satisfies Record<string, SandboxSymbolSpec>;

export type SandboxSymbol = keyof typeof SANDBOX_SYMBOLS;

export interface SandboxFeedOptions {
  seed: number;
  /** Preset names or full specs. Default: all presets. */
  symbols?: readonly (SandboxSymbol | SandboxSymbolSpec)[];
  /** Market time of the start, UTC epoch ms. */
  startMs: number;
  /** Market ms per wall ms for `nextDelayMs` (60 → one market minute per second). Default 1. */
  speed?: number;
  /** `source` of the ticks. Default 'sandbox'. */
  source?: string;
}

export interface SandboxFeed {
  /** The next tick across all symbols, in time order (ties: in symbol order). */
  nextTick(): Tick;
  /** Market time of the tick `nextTick` will return. */
  nextTickTimeMs(): number;
  /** Wall-clock wait before that tick, at `speed`, counted from the last tick returned (or the start). */
  nextDelayMs(): number;
  /** The regime in force when this symbol's last returned tick was made (for diagnostics). */
  regimeOf(symbol: string): Regime | undefined;
  readonly symbols: readonly SandboxSymbolSpec[];
  readonly speed: number;
}

interface RegimeSpec {
  vol: number;
  rate: number;
  spread: number;
  meanStayMs: number;
  /** Weights of the next regime, in REGIMES order. */
  next: readonly number[];
}

const HOUR = 3_600_000;
const MAX_SHOCK = 12;
const REGIMES: readonly Regime[] = ['calm', 'normal', 'volatile'];
const REGIME_SPECS: Record<Regime, RegimeSpec> = {
  calm: { vol: 0.6, rate: 0.8, spread: 1, meanStayMs: 4 * HOUR, next: [0, 0.9, 0.1] },
  normal: { vol: 1, rate: 1, spread: 1.15, meanStayMs: 6 * HOUR, next: [0.6, 0, 0.4] },
  volatile: { vol: 2.2, rate: 1.6, spread: 2.2, meanStayMs: 1 * HOUR, next: [0.2, 0.8, 0] },
};
/** Stationary-ish start: mostly calm or normal. */
const INITIAL_REGIME_WEIGHTS = [0.35, 0.5, 0.15];

/** (volatility, rate, spread) multipliers for each UTC hour 0..23. */
type SessionTable = readonly (readonly [number, number, number])[];

function sessionTable(asia: [number, number, number], london: [number, number, number], overlap: [number, number, number], newYork: [number, number, number], late: [number, number, number]): SessionTable {
  return Array.from({ length: 24 }, (_, h) => (h < 7 || h >= 23 ? asia : h < 12 ? london : h < 16 ? overlap : h < 21 ? newYork : late));
}

const SESSIONS: Record<SessionProfile, SessionTable> = {
  fx: sessionTable([0.6, 0.45, 1.3], [1.1, 1.2, 1.0], [1.4, 1.6, 0.9], [0.9, 0.9, 1.0], [0.5, 0.35, 1.6]),
  jpy: sessionTable([0.9, 0.8, 1.1], [1.0, 1.1, 1.0], [1.3, 1.5, 0.9], [0.9, 0.9, 1.0], [0.5, 0.35, 1.6]),
  crypto: sessionTable([0.85, 0.8, 1.1], [1.0, 1.0, 1.0], [1.2, 1.25, 0.95], [1.05, 1.05, 1.0], [0.85, 0.8, 1.1]),
};

const SECONDS_PER_YEAR_OPEN = { fx: 52 * 5 * 86_400, always: 365 * 86_400 } as const;

interface SymbolState {
  spec: SandboxSymbolSpec;
  rng: Rng;
  calendar: MarketCalendar;
  sessions: SessionTable;
  scale: number;
  sigmaPerSqrtMs: number;
  logMid: number;
  regime: Regime;
  regimeUntilMs: number;
  clockMs: number;
  bidPts: number;
  askPts: number;
  isOpen: boolean;
  hoursValidUntilMs: number;
  nyOffsetHour: number;
  nyOffsetMs: number;
  pending: Tick;
  pendingRegime: Regime;
  emittedRegime: Regime | undefined;
}

export function createSandboxFeed(options: SandboxFeedOptions): SandboxFeed {
  const { seed, startMs } = options;
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  if (!Number.isFinite(startMs)) throw new RangeError(`startMs must be a finite number, got ${startMs}`);
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
  const source = options.source ?? 'sandbox';
  const specs = (options.symbols ?? (Object.keys(SANDBOX_SYMBOLS) as SandboxSymbol[])).map((s) =>
    typeof s === 'string' ? (SANDBOX_SYMBOLS[s] as SandboxSymbolSpec) : s,
  );
  if (specs.length === 0) throw new RangeError('the sandbox feed needs at least one symbol');
  const names = new Set(specs.map((s) => s.symbol));
  if (names.size !== specs.length) throw new RangeError('the sandbox feed was given the same symbol twice');
  const fx = fxCalendar();

  const states: SymbolState[] = specs.map((spec) => {
    if (!(spec.startPrice > 0) || !(spec.annualVol > 0) || !(spec.baseTickRate > 0) || !(spec.minSpreadPoints >= 0)) {
      throw new RangeError(`sandbox symbol ${spec.symbol}: startPrice, annualVol and baseTickRate must be > 0`);
    }
    const rng = new Rng(seed, spec.symbol);
    const regime = REGIMES[rng.pick(INITIAL_REGIME_WEIGHTS)]!;
    const state: SymbolState = {
      spec,
      rng,
      calendar: spec.hours === 'fx' ? fx : ALWAYS_OPEN,
      sessions: SESSIONS[spec.profile],
      scale: 10 ** spec.digits,
      sigmaPerSqrtMs: spec.annualVol / Math.sqrt(SECONDS_PER_YEAR_OPEN[spec.hours] * 1000),
      logMid: Math.log(spec.startPrice),
      regime,
      regimeUntilMs: startMs + rng.exponential(1 / REGIME_SPECS[regime].meanStayMs),
      clockMs: startMs,
      bidPts: Number.NaN,
      askPts: Number.NaN,
      isOpen: false,
      hoursValidUntilMs: Number.NEGATIVE_INFINITY,
      nyOffsetHour: Number.NaN,
      nyOffsetMs: 0,
      pending: undefined as unknown as Tick,
      pendingRegime: regime,
      emittedRegime: undefined,
    };
    state.pending = makeNext(state, source);
    return state;
  });

  let lastEmittedMs = startMs;
  const earliest = (): SymbolState => {
    let best = states[0]!;
    for (let i = 1; i < states.length; i++) if (states[i]!.pending.timeMs < best.pending.timeMs) best = states[i]!;
    return best;
  };

  return {
    symbols: specs,
    speed,
    nextTick() {
      const state = earliest();
      const tick = state.pending;
      state.emittedRegime = state.pendingRegime;
      state.pending = makeNext(state, source);
      lastEmittedMs = tick.timeMs;
      return tick;
    },
    nextTickTimeMs: () => earliest().pending.timeMs,
    nextDelayMs: () => Math.max(0, earliest().pending.timeMs - lastEmittedMs) / speed,
    regimeOf: (symbol) => states.find((s) => s.spec.symbol === symbol)?.emittedRegime,
  };
}

/** Advance one symbol to its next quote change and return it. */
function makeNext(state: SymbolState, source: string): Tick {
  const { rng, spec } = state;
  for (;;) {
    const t = state.clockMs;
    if (t >= state.hoursValidUntilMs) {
      // Calendar look-ups are costly next to a tick; ask again only when the state changes.
      state.isOpen = state.calendar.isOpen(t);
      state.hoursValidUntilMs = state.calendar.nextChangeMs(t);
    }
    const nextChange = state.hoursValidUntilMs;
    if (!state.isOpen) {
      // Closed: skip to the opening, letting regimes switch on the way.
      if (state.regimeUntilMs <= nextChange) {
        state.clockMs = state.regimeUntilMs;
        switchRegime(state);
      } else {
        state.clockMs = nextChange;
      }
      continue;
    }
    const hourEnd = (Math.floor(t / HOUR) + 1) * HOUR;
    const segmentEnd = Math.min(hourEnd, state.regimeUntilMs, nextChange);
    const [volMult, rateMult] = state.sessions[utcHour(t)]!;
    const regime = REGIME_SPECS[state.regime];
    const ratePerMs = (spec.baseTickRate * rateMult * regime.rate) / 1000;
    const arrival = t + rng.exponential(ratePerMs);
    if (arrival >= segmentEnd) {
      // The rate changes here; the wait is memoryless, so drawing afresh from here is exact.
      state.clockMs = segmentEnd;
      if (segmentEnd === state.regimeUntilMs) switchRegime(state);
      continue;
    }
    state.clockMs = arrival;
    const sigma = (state.sigmaPerSqrtMs * volMult * regime.vol) / Math.sqrt(ratePerMs);
    // Clipped at 12 σ: the sandbox emits clean data (a 12 σ tick is still a fat tail); bad
    // ticks are for tests to inject on purpose, not for the demo feed to trip over.
    const shock = Math.max(-MAX_SHOCK, Math.min(MAX_SHOCK, rng.studentT4()));
    state.logMid += sigma * shock - (sigma * sigma) / 2;

    const spreadPts = spreadPoints(state, arrival);
    const midPts = Math.exp(state.logMid) * state.scale;
    const bidPts = Math.max(1, Math.round(midPts - spreadPts / 2));
    const askPts = bidPts + spreadPts;
    if (bidPts === state.bidPts && askPts === state.askPts) continue;
    let flags = 0;
    if (bidPts !== state.bidPts) flags |= TICK_FLAG.BID;
    if (askPts !== state.askPts) flags |= TICK_FLAG.ASK;
    state.bidPts = bidPts;
    state.askPts = askPts;
    state.pendingRegime = state.regime;
    return {
      symbol: spec.symbol,
      timeMs: Math.floor(arrival),
      bid: bidPts / state.scale,
      ask: askPts / state.scale,
      last: 0,
      volume: 0,
      flags,
      source,
    };
  }
}

function utcHour(timeMs: number): number {
  return Math.floor(timeMs / HOUR) % 24;
}

function switchRegime(state: SymbolState): void {
  const next = REGIMES[state.rng.pick(REGIME_SPECS[state.regime].next)]!;
  state.regime = next;
  state.regimeUntilMs = state.clockMs + state.rng.exponential(1 / REGIME_SPECS[next].meanStayMs);
}

function spreadPoints(state: SymbolState, timeMs: number): number {
  const { spec, rng } = state;
  const sessionSpread = state.sessions[utcHour(timeMs)]![2];
  const hour = Math.floor(timeMs / HOUR);
  if (hour !== state.nyOffsetHour) {
    // New York changes offset on an hour boundary (06:00 or 07:00 UTC): once an hour is enough.
    state.nyOffsetHour = hour;
    state.nyOffsetMs = newYorkOffsetMs(timeMs);
  }
  const nyMinute = ((((timeMs + state.nyOffsetMs) % 86_400_000) + 86_400_000) % 86_400_000) / 60_000;
  const rollover = nyMinute >= 16 * 60 + 55 && nyMinute < 17 * 60 + 5 ? 3.5 : nyMinute >= 17 * 60 + 5 && nyMinute < 17 * 60 + 30 ? 2 : 1;
  const raw = spec.baseSpreadPoints * REGIME_SPECS[state.regime].spread * sessionSpread * rollover * Math.exp(0.15 * rng.normal());
  return Math.max(spec.minSpreadPoints, Math.round(raw));
}
