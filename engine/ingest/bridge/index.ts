/**
 * The MT5 bridge: the TCP server EAs connect to (DESIGN.md "MT5 bridge protocol"; decisions in
 * README.md beside this file) and the per-tenant tokens they authenticate with.
 */
export { createBridgeServer } from './server';
export { terminalSource } from './terminal-source';
export {
  createBridgeTokens,
  BRIDGE_TOKEN_PREFIX,
  type BridgeTokens,
  type BridgeTokenIdentity,
  type BridgeTokenInfo,
  type BridgeTokensOptions,
  type IssuedBridgeToken,
} from './tokens';
export type {
  BridgeErrorReason,
  BridgeServer,
  BridgeServerOptions,
  BridgeSession,
  BridgeSessionStats,
  BridgeStats,
  CommandOptions,
  OrderOptions,
} from './types';
