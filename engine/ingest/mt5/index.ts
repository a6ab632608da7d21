/**
 * MetaTrader 5 data formats: history files (MT5 bar/tick exports, HistData CSV, the EA's tick
 * JSON), the EA bridge's frame protocol (pure: no sockets), and the EA itself
 * (`TradePilotBridge.mq5`, see README.md beside this file).
 */
export type {
  BarRecord,
  Format,
  FormatName,
  Mt5Timeframe,
  ParsedRecord,
  RejectRecord,
  TextEncodingName,
  TickRecord,
} from './types';
export { TICK_FLAG } from './types';
export { detectFormat, detectEncoding, EXPECTED_FORMATS } from './detect';
export { parseFile, parseFileBatches, type FileBatchParse, type FileInfo, type FileParse, type ParseFileOptions, type ParseSummary } from './parse-file';
export { inferFromFileName, timeframeFromSpacing } from './naming';
export { FrameDecoder, type DecodedFrame, type FrameSink, type FrameDecoderOptions, type FrameDecoderRejectReason, type FrameDecoderStats } from './frame-decoder';
export {
  clientOrderId,
  closeCommand,
  eaFrame,
  encodeClose,
  encodeEaFrame,
  encodeOrder,
  executionFrame,
  heartbeatFrame,
  helloFrame,
  orderCommand,
  parseFrame,
  tickFrame,
  type CloseCommand,
  type EaFrame,
  type EaFrameType,
  type EncodeOptions,
  type ExecutionFrame,
  type HeartbeatFrame,
  type HelloFrame,
  type OrderCommand,
  type ParseFrameResult,
  type TickFrame,
} from './protocol';
