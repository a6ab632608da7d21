export {
  createSandboxFeed,
  SANDBOX_SYMBOLS,
  type SandboxFeed,
  type SandboxFeedOptions,
  type SandboxSymbol,
  type SandboxSymbolSpec,
  type Regime,
  type SessionProfile,
} from './feed';
