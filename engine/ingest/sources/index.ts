/**
 * Market data sources and failover: the TickSource contract every feed implements (the MT5
 * bridge through `createPushSource`, one source per terminal via `TerminalSources`), the
 * sandbox and replay sources, the per-symbol FailoverRouter and the SourceManager that
 * merges them into the pipeline's one tick stream.
 */
export type { SourceKind, SourceState, SourceStats, TickSink, TickSource } from './types';
export { systemClock, ManualClock, wait, type Clock, type TimerHandle } from './clock';
export { createPushSource, type PushSource, type PushSourceOptions } from './push-source';
export { SandboxSource, type SandboxSourceOptions } from './sandbox-source';
export {
  ReplaySource,
  type ReplayClickHouseSourceOptions,
  type ReplayFileSourceOptions,
  type ReplayQuote,
  type ReplayResult,
  type ReplaySourceOptions,
  type ReplaySpeed,
} from './replay-source';
export { fileTicks, type FileTicksOptions, type TickFileFormat } from './file-ticks';
export { clickHouseTicks, type ClickHouseTicksOptions } from './clickhouse-ticks';
export {
  FailoverRouter,
  type DivergenceHealth,
  type FailoverRouterOptions,
  type FeedStatusEvent,
  type RouterCrossCheckOptions,
  type RouterState,
  type SourceHealth,
  type SymbolFeedHealth,
} from './failover-router';
export { SourceManager, type AddSourceOptions, type FeedStatusView, type FeedsHealth, type SourceManagerOptions, type SourceView } from './source-manager';
export { TerminalSources, terminalRank, type FeedPriorityEntry, type TerminalIdentity, type TerminalSourcesOptions } from './terminal-sources';
