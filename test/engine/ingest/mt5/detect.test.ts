import { describe, expect, it } from 'vitest';
import { detectFormat, inferFromFileName, timeframeFromSpacing } from '../../../../engine/ingest/mt5';
import { BTCUSD_EA_JSON, EURUSD_H1, readData, utf16leWithBom } from './support';

const BARS_HEADER = '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>';
const TICKS_HEADER = '<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>';

describe('detectFormat', () => {
  it('recognizes the real bars export and EA JSON from their first bytes', () => {
    expect(detectFormat(readData(EURUSD_H1).subarray(0, 4096))).toEqual({ name: 'mt5-bars', encoding: 'utf-8', bomBytes: 0 });
    expect(detectFormat(readData(BTCUSD_EA_JSON).subarray(0, 4096))).toEqual({ name: 'ea-json', encoding: 'utf-8', bomBytes: 0 });
  });

  it('tells the encoding: UTF-16LE with and without BOM, UTF-8 with BOM', () => {
    expect(detectFormat(utf16leWithBom(`${BARS_HEADER}\r\n`))).toEqual({ name: 'mt5-bars', encoding: 'utf-16le', bomBytes: 2 });
    expect(detectFormat(Buffer.from(`${TICKS_HEADER}\n`, 'utf16le'))).toEqual({ name: 'mt5-ticks', encoding: 'utf-16le', bomBytes: 0 });
    expect(detectFormat(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${TICKS_HEADER}\n`)]))).toEqual({ name: 'mt5-ticks', encoding: 'utf-8', bomBytes: 3 });
  });

  it('recognizes the date-only D1 header, HistData rows and works on a cut-off prefix', () => {
    expect(detectFormat(Buffer.from('<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n'))?.name).toBe('mt5-bars');
    expect(detectFormat(Buffer.from('2023.01.02,17:01,1.069700,1.069710,1.069690,1.069700,0\n2023.01.02,17:0'))?.name).toBe('histdata');
    expect(detectFormat(Buffer.from('20230102 170100;1.069700;1.069710;1.069690;1.069700;0\n'))?.name).toBe('histdata');
    expect(detectFormat(Buffer.from(`${BARS_HEADER}\r\n2025.06.23\t00:0`))?.name).toBe('mt5-bars');
  });

  it('returns null for anything else', () => {
    expect(detectFormat(Buffer.from('time,open,high,low,close\n'))).toBeNull();
    expect(detectFormat(Buffer.from('{"foo": 1}'))).toBeNull();
    expect(detectFormat(Buffer.from('<DATE>\t<WHATEVER>\n'))).toBeNull();
    // A HistData-shaped line with an impossible bar (high below low) is not evidence of HistData.
    expect(detectFormat(Buffer.from('2023.01.02,17:01,1.1,1.0,1.2,1.1,0\n'))).toBeNull();
    expect(detectFormat(Buffer.from([0xfe, 0xff, 0x00, 0x3c]))).toBeNull(); // UTF-16BE
    expect(detectFormat(Buffer.alloc(0))).toBeNull();
  });
});

describe('inferFromFileName', () => {
  it.each([
    ['EURUSD_H1_export_crlf.csv', 'EURUSD', 'H1'],
    ['/data/EURUSD_H1_202506230000_202601211000.csv', 'EURUSD', 'H1'],
    ['EURUSDM1.csv', 'EURUSD', 'M1'],
    ['XAUUSDM15.csv', 'XAUUSD', 'M15'],
    ['C:\\MT5\\Files\\GER40H4.csv', 'GER40', 'H4'],
    ['DAT_MT_EURUSD_M1_2023.csv', 'EURUSD', 'M1'],
    ['BTCUSD_ea_ticks_20260307.json', 'BTCUSD', null],
    ['EURUSD_202301020000_202301022359.csv', 'EURUSD', null],
    ['US30_D1.csv', 'US30', 'D1'],
    ['export.csv', null, null],
  ])('%s → %s %s', (name, symbol, timeframe) => {
    expect(inferFromFileName(name)).toEqual({ symbol, timeframe });
  });
});

describe('timeframeFromSpacing', () => {
  it('maps bar spacing to the MT5 timeframe', () => {
    expect(timeframeFromSpacing(60_000)).toBe('M1');
    expect(timeframeFromSpacing(15 * 60_000)).toBe('M15');
    expect(timeframeFromSpacing(3_600_000)).toBe('H1');
    expect(timeframeFromSpacing(86_400_000)).toBe('D1');
    expect(timeframeFromSpacing(7 * 86_400_000)).toBe('W1');
    expect(timeframeFromSpacing(30 * 86_400_000)).toBe('MN1');
    expect(timeframeFromSpacing(7_000)).toBeNull();
  });
});
