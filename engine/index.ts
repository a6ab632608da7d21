/**
 * The engine: market data in (MT5 bridge, imports, replay, sandbox), quality, bars,
 * indicators, and the queries other roles read. Deeper folders are private to the engine.
 */
export { startEngineRole, type EngineRole, type EngineRoleDeps } from './role';
export { createMarketQueries, type MarketQueries, type PriceView, type IndicatorSnapshot, type LiveMarketState } from './queries';
export { MarketPipeline, type SymbolSpec, type TickOutcome, type LastPrice } from './pipeline';
export type { Tick, Bar } from './market/types';
export { createBridgeTokens, type BridgeTokens, type IssuedBridgeToken, type BridgeTokenInfo } from './ingest/bridge';
