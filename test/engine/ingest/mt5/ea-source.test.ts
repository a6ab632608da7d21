import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeClose, encodeOrder, executionFrame, heartbeatFrame, helloFrame, tickFrame } from '../../../../engine/ingest/mt5';

/**
 * The EA cannot be compiled here (MetaEditor runs on Windows), so these checks hold its source
 * to the protocol the engine parses: the frames it writes carry exactly the fields the zod
 * schemas read, and it reads every field the encoders write.
 */
const SOURCE = readFileSync(fileURLToPath(new URL('../../../../engine/ingest/mt5/TradePilotBridge.mq5', import.meta.url)), 'utf8');

/** The body of a top-level MQL5 function (its signature line up to the closing brace at column 2). */
function body(signature: string): string {
  const start = SOURCE.indexOf(signature);
  expect(start, `${signature} not found`).toBeGreaterThan(-1);
  const end = SOURCE.indexOf('\n  }\n', start);
  return SOURCE.slice(start, end);
}

/** JSON keys written in MQL5 string literals: `\"name\":`. */
function writtenKeys(code: string): string[] {
  return [...new Set([...code.matchAll(/\\"(\w+)\\":/g)].map((m) => m[1] ?? ''))].sort();
}

function readKeys(code: string): string[] {
  return [...new Set([...code.matchAll(/Json(?:String|Double)\(\w+, "(\w+)"/g)].map((m) => m[1] ?? ''))].sort();
}

function withoutCommentsAndStrings(code: string): string {
  return code
    .replace(/\/\/.*$/gm, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
    .replace(/'(?:[^'\\\n]|\\.)'/g, "''");
}

describe('TradePilotBridge.mq5', () => {
  it('has balanced braces, brackets and parentheses outside strings and comments', () => {
    const code = withoutCommentsAndStrings(SOURCE);
    const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
    const stack: string[] = [];
    for (const ch of code) {
      if (ch === '(' || ch === '[' || ch === '{') stack.push(ch);
      else if (ch in pairs) expect(stack.pop(), `unbalanced ${ch}`).toBe(pairs[ch]);
    }
    expect(stack).toEqual([]);
  });

  it('declares the documented inputs and event handlers and uses the MQL5 socket API', () => {
    for (const input of ['string EngineHost', 'int    EnginePort       = 5555', 'string BridgeToken', 'string Symbols', 'int    HeartbeatSeconds', 'int    RingBufferSize']) {
      expect(SOURCE).toContain(`input ${input}`);
    }
    for (const handler of ['int OnInit()', 'void OnDeinit(const int reason)', 'void OnTick()', 'void OnTimer()', 'void OnTradeTransaction(']) {
      expect(SOURCE).toContain(handler);
    }
    for (const call of ['SocketCreate(', 'SocketConnect(', 'SocketSend(', 'SocketIsReadable(', 'SocketRead(', 'SocketClose(', 'EventSetMillisecondTimer(', 'SymbolInfoTick(', 'CP_UTF8']) {
      expect(SOURCE).toContain(call);
    }
  });

  it('writes tick, hello, heartbeat and execution frames with exactly the fields the engine parses', () => {
    const keys = (schema: { shape: Record<string, unknown> }) => Object.keys(schema.shape).sort();
    expect(writtenKeys(body('string TickJson('))).toEqual(keys(tickFrame));
    expect(writtenKeys(body('void TryConnect()'))).toEqual(keys(helloFrame));
    expect(writtenKeys(body('void OnTimer()'))).toEqual(keys(heartbeatFrame));
    expect(writtenKeys(body('void SendExecution('))).toEqual(keys(executionFrame));
  });

  it('reads every field the engine encodes into order and close commands', () => {
    const order = JSON.parse(encodeOrder({ client_order_id: 'c-1', symbol: 'EURUSD', side: 'buy', volume: 1, type: 'limit', price: 1.1, sl: 1, tp: 1.2 })) as object;
    const close = JSON.parse(encodeClose({ client_order_id: 'c-2', ticket: 1, symbol: 'EURUSD', volume: 0.5 })) as object;
    const handled = [...readKeys(body('void HandleCommand(')), 'type'];
    expect(Object.keys(order).filter((k) => ![...handled, ...readKeys(body('void ExecuteOrder('))].includes(k))).toEqual([]);
    expect(Object.keys(close).filter((k) => ![...handled, ...readKeys(body('void ExecuteClose('))].includes(k))).toEqual([]);
  });
});
