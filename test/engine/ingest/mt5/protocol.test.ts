import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../core';
import { FrameDecoder, encodeClose, encodeEaFrame, encodeOrder, parseFrame } from '../../../../engine/ingest/mt5';

describe('parseFrame', () => {
  it('accepts the tick of DESIGN.md as MqlTick fields, with volume_real when present', () => {
    expect(parseFrame('{"type":"tick","symbol":"EURUSD","time_msc":1700000000123,"bid":1.0851,"ask":1.0852,"last":0,"volume":0,"flags":6}')).toEqual({
      ok: true,
      frame: { type: 'tick', symbol: 'EURUSD', time_msc: 1700000000123, bid: 1.0851, ask: 1.0852, last: 0, volume: 0, flags: 6 },
    });
    const withReal = parseFrame('{"type":"tick","symbol":"US500.cash","time_msc":1,"bid":5000.1,"ask":5000.6,"last":5000.4,"volume":2,"volume_real":2.5,"flags":30}');
    expect(withReal.ok && withReal.frame).toMatchObject({ symbol: 'US500.cash', volume_real: 2.5 });
  });

  it('accepts hello (numeric login kept as a string), heartbeat and execution frames', () => {
    expect(parseFrame('{"type":"hello","version":1,"account":51234567,"server":"Broker-Demo","token":"s3cret"}')).toEqual({
      ok: true,
      frame: { type: 'hello', version: 1, account: '51234567', server: 'Broker-Demo', token: 's3cret' },
    });
    expect(parseFrame('{"type":"heartbeat","time_msc":1700000000000}')).toEqual({ ok: true, frame: { type: 'heartbeat', time_msc: 1700000000000 } });
    expect(parseFrame('{"type":"execution","client_order_id":"c-42","ticket":123456789,"status":"rejected","price":0,"volume":0,"error":"10019 No money"}')).toEqual({
      ok: true,
      frame: { type: 'execution', client_order_id: 'c-42', ticket: 123456789, status: 'rejected', price: 0, volume: 0, error: '10019 No money' },
    });
  });

  it.each([
    ['{"type":"tick",', 'invalid_json'],
    ['[1,2]', 'not_an_object'],
    ['42', 'not_an_object'],
    ['{"symbol":"EURUSD"}', 'missing_field:type'],
    ['{"type":"quote","symbol":"EURUSD"}', 'unknown_type'],
    ['{"type":"toString"}', 'unknown_type'],
    ['{"type":"tick","symbol":"EURUSD","time_msc":1,"ask":1.1}', 'missing_field:bid'],
    ['{"type":"tick","symbol":"EURUSD","time_msc":1,"bid":"1.1","ask":1.1}', 'invalid_field:bid'],
    ['{"type":"tick","symbol":"EUR USD","time_msc":1,"bid":1.1,"ask":1.1}', 'invalid_field:symbol'],
    ['{"type":"tick","symbol":"EURUSD","time_msc":1.5,"bid":1.1,"ask":1.1}', 'invalid_field:time_msc'],
    ['{"type":"hello","version":1,"account":"1","server":"s"}', 'missing_field:token'],
    ['{"type":"execution","client_order_id":"c-1","ticket":1,"status":"done","price":1,"volume":1}', 'invalid_field:status'],
  ])('%s → %s', (line, reason) => {
    expect(parseFrame(line)).toEqual({ ok: false, reason });
  });
});

describe('engine → EA encoders', () => {
  it('encodes an order as one NDJSON line, the order kind as order_type, prices rounded to the symbol digits', () => {
    const line = encodeOrder({ client_order_id: 'c-42', symbol: 'EURUSD', side: 'buy', volume: 0.1 + 0.2, type: 'limit', price: 1.0851 + 1e-12, sl: 1.08, tp: 1.09 }, { digits: 5 });
    expect(line).toBe('{"type":"order","client_order_id":"c-42","symbol":"EURUSD","side":"buy","order_type":"limit","volume":0.3,"price":1.0851,"sl":1.08,"tp":1.09}\n');
    expect(encodeOrder({ client_order_id: 'c-43', symbol: 'XAUUSD', side: 'sell', volume: 1, type: 'market', price: 2000 })).toBe(
      '{"type":"order","client_order_id":"c-43","symbol":"XAUUSD","side":"sell","order_type":"market","volume":1}\n',
    );
  });

  it('refuses orders the EA could not carry out faithfully', () => {
    expect(() => encodeOrder({ client_order_id: 'c-1', symbol: 'EURUSD', side: 'buy', volume: 1, type: 'stop' })).toThrow(/missing_field:price/);
    expect(() => encodeOrder({ client_order_id: 'x'.repeat(32), symbol: 'EURUSD', side: 'buy', volume: 1, type: 'market' })).toThrow(InvalidInputError);
    expect(() => encodeOrder({ client_order_id: 'has"quote', symbol: 'EURUSD', side: 'buy', volume: 1, type: 'market' })).toThrow(/client_order_id/);
    expect(() => encodeOrder({ client_order_id: 'c-1', symbol: 'EURUSD', side: 'buy', volume: 0, type: 'market' })).toThrow(/invalid_field:volume/);
  });

  it('encodes a close, with and without ticket and volume', () => {
    expect(encodeClose({ client_order_id: 'c-44', ticket: 123456789, symbol: 'EURUSD', volume: 0.05 })).toBe(
      '{"type":"close","client_order_id":"c-44","ticket":123456789,"symbol":"EURUSD","volume":0.05}\n',
    );
    expect(encodeClose({ client_order_id: 'c-45', symbol: 'EURUSD' })).toBe('{"type":"close","client_order_id":"c-45","symbol":"EURUSD"}\n');
  });

  it('round-trips EA frames through the decoder and the parser', () => {
    const frames = [
      { type: 'hello', version: 1, account: '1', server: 'S', token: 't' },
      { type: 'tick', symbol: 'EURUSD', time_msc: 5, bid: 1.1, ask: 1.2, last: 0, volume: 0, flags: 6 },
      { type: 'execution', client_order_id: 'c-1', ticket: 7, status: 'partial', price: 1.1, volume: 0.5 },
    ] as const;
    const decoder = new FrameDecoder();
    const out = decoder.push(Buffer.from(frames.map((f) => encodeEaFrame(f)).join('')));
    expect(out.map((d) => (d.type === 'frame' ? parseFrame(d.line) : d))).toEqual(frames.map((frame) => ({ ok: true, frame })));
  });
});
