import { Counter, Gauge } from 'prom-client';
import { ConflictError, type Metrics } from '../../../core';
import type { BridgeStats } from './types';

/**
 * The bridge's Prometheus metrics. They are read from `stats()` when scraped (prom-client's
 * `collect`), so the frame loop only bumps plain numbers: a labelled `inc()` per frame would
 * cost more than parsing the frame.
 */
const NAMES = {
  sessions: 'tradepilot_bridge_sessions',
  queued: 'tradepilot_bridge_queued_ticks',
  connections: 'tradepilot_bridge_connections_total',
  frames: 'tradepilot_bridge_frames_total',
  rejected: 'tradepilot_bridge_frames_rejected_total',
  disconnects: 'tradepilot_bridge_disconnects_total',
} as const;

export function registerBridgeMetrics(metrics: Metrics, stats: () => BridgeStats): () => void {
  const { registry } = metrics;
  const taken = Object.values(NAMES).find((name) => registry.getSingleMetric(name) !== undefined);
  if (taken) throw new ConflictError('bridge_metrics_registered', `metric ${taken} is already registered: one bridge server per metrics registry`);
  const registers = [registry];
  new Gauge({
    name: NAMES.sessions,
    help: 'Authenticated MT5 bridge sessions open now',
    registers,
    collect() {
      this.set(stats().connections.sessions);
    },
  });
  new Gauge({
    name: NAMES.queued,
    help: 'Ticks received from EAs and waiting for the engine',
    registers,
    collect() {
      this.set(stats().queuedTicks);
    },
  });
  new Counter({
    name: NAMES.connections,
    help: 'TCP connections accepted by the MT5 bridge',
    registers,
    collect() {
      this.reset();
      this.inc(stats().connections.total);
    },
  });
  new Counter({
    name: NAMES.frames,
    help: 'Valid frames received from EAs, by type',
    labelNames: ['type'],
    registers,
    collect() {
      const s = stats();
      this.reset();
      this.inc({ type: 'tick' }, s.ticks);
      this.inc({ type: 'heartbeat' }, s.heartbeats);
      this.inc({ type: 'execution' }, s.executions);
      this.inc({ type: 'hello' }, s.connections.authenticated);
    },
  });
  new Counter({
    name: NAMES.rejected,
    help: 'Bad lines from EAs, skipped and counted, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(stats().rejects)) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: NAMES.disconnects,
    help: 'Bridge connections closed, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(stats().closes)) this.inc({ reason }, n);
    },
  });
  return () => {
    for (const name of Object.values(NAMES)) registry.removeSingleMetric(name);
  };
}
