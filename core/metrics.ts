import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per platform instance (no global default registry, so two
 * instances in one test process do not collide). Roles add their metrics here.
 */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  telegramUpdates: Counter<'type' | 'outcome'>;
  telegramApiErrors: Counter<'method' | 'code'>;
  busEvents: Counter<'stream' | 'outcome'>;
  ticks: Counter<'symbol' | 'source' | 'outcome'>;
  ticksRejected: Counter<'symbol' | 'reason'>;
  barsClosed: Counter<'symbol' | 'timeframe'>;
  feedGaps: Counter<'symbol' | 'kind'>;
  dependencyUp: Gauge<'dependency'>;
  updateLatency: Histogram<'command'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'tradepilot_process_' });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({ name: 'tradepilot_http_requests_total', help: 'Admin HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers }),
    telegramUpdates: new Counter({ name: 'tradepilot_telegram_updates_total', help: 'Telegram updates handled by type and outcome', labelNames: ['type', 'outcome'], registers }),
    telegramApiErrors: new Counter({ name: 'tradepilot_telegram_api_errors_total', help: 'Bot API calls that failed, by method and error code', labelNames: ['method', 'code'], registers }),
    busEvents: new Counter({ name: 'tradepilot_bus_events_total', help: 'Bus events by stream and outcome (published, handled, failed, dead)', labelNames: ['stream', 'outcome'], registers }),
    ticks: new Counter({ name: 'tradepilot_ticks_total', help: 'Ticks seen by the engine, by symbol, source and outcome', labelNames: ['symbol', 'source', 'outcome'], registers }),
    ticksRejected: new Counter({ name: 'tradepilot_ticks_rejected_total', help: 'Ticks rejected by data quality, by reason', labelNames: ['symbol', 'reason'], registers }),
    barsClosed: new Counter({ name: 'tradepilot_bars_closed_total', help: 'Bars completed by symbol and timeframe', labelNames: ['symbol', 'timeframe'], registers }),
    feedGaps: new Counter({ name: 'tradepilot_feed_gaps_total', help: 'Silences between ticks: kind="gap" is open market without data, kind="weekend" is explained by market hours', labelNames: ['symbol', 'kind'], registers }),
    dependencyUp: new Gauge({ name: 'tradepilot_dependency_up', help: '1 when a dependency (postgres, clickhouse, redis, telegram) answers, else 0', labelNames: ['dependency'], registers }),
    updateLatency: new Histogram({ name: 'tradepilot_update_duration_seconds', help: 'Time to handle one Telegram update, by command', labelNames: ['command'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers }),
  };
}
