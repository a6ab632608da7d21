import { describe, expect, it } from 'vitest';
import { BarAggregator } from '../../../../engine/bars';
import { SANDBOX_SYMBOLS, createSandboxFeed } from '../../../../engine/ingest/sandbox';
import { TickValidator } from '../../../../engine/quality';
import type { Bar } from '../../../../engine/market/types';

const MONDAY = Date.UTC(2025, 5, 2);

describe('sandbox feed → quality → bars', () => {
  it('passes the quality gate untouched and gives an H1 bar for every hour of a weekday', () => {
    const feed = createSandboxFeed({ seed: 2024, startMs: MONDAY });
    const specs = Object.values(SANDBOX_SYMBOLS);
    const validators = new Map<string, TickValidator>(specs.map((s) => [s.symbol, new TickValidator(s.symbol, { point: 10 ** -s.digits })]));
    const aggregators = new Map<string, BarAggregator>(specs.map((s) => [s.symbol, new BarAggregator(s.symbol, { digits: s.digits, timeframes: ['M1', 'H1'] })]));
    const closedH1 = new Map<string, Bar[]>();
    for (;;) {
      const tick = feed.nextTick();
      if (tick.timeMs >= MONDAY + 86_400_000) break;
      if (!validators.get(tick.symbol)!.check(tick).ok) continue;
      for (const bar of aggregators.get(tick.symbol)!.onTick(tick).closed) {
        if (bar.timeframe === 'H1') closedH1.set(tick.symbol, [...(closedH1.get(tick.symbol) ?? []), bar]);
      }
    }
    for (const [symbol, v] of validators) {
      expect({ symbol, rejected: v.totals().rejected }).toEqual({ symbol, rejected: 0 });
      // Every hour of a weekday has ticks: 23 closed H1 bars, the 24th still forming.
      const bars = closedH1.get(symbol)!;
      expect(bars).toHaveLength(23);
      expect(bars.every((b) => b.low <= Math.min(b.open, b.close) && b.high >= Math.max(b.open, b.close) && b.tickVolume > 0)).toBe(true);
    }
  });
});
