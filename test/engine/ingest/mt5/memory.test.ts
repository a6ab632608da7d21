import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { garbageCollector } from '../../../../core/gc';
import { parseFile } from '../../../../engine/ingest/mt5';

const LINES = 300_000;
const LINES_PER_CHUNK = 1000;
const MB = 1024 * 1024;

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

describe('parseFile memory', () => {
  it('parses a 300,000-line bars export streamed from a generator with small, flat heap growth', async () => {
    const gc = garbageCollector();
    let produced = 0;
    const start = Date.UTC(2024, 0, 1);
    function* source(): Generator<Buffer> {
      yield Buffer.from('<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\r\n');
      for (let first = 0; first < LINES; first += LINES_PER_CHUNK) {
        let chunk = '';
        for (let i = first; i < first + LINES_PER_CHUNK; i += 1) {
          const t = new Date(start + i * 60_000);
          const open = 1.1 + (i % 500) / 100_000;
          chunk += `${t.getUTCFullYear()}.${pad(t.getUTCMonth() + 1)}.${pad(t.getUTCDate())}\t${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:00\t${open.toFixed(5)}\t${(open + 0.0002).toFixed(5)}\t${(open - 0.0001).toFixed(5)}\t${(open + 0.0001).toFixed(5)}\t${i % 97}\t0\t7\r\n`;
        }
        produced += LINES_PER_CHUNK;
        yield Buffer.from(chunk);
      }
    }

    gc();
    const baseline = process.memoryUsage().heapUsed;
    let maxGrowth = 0;
    let maxAhead = 0;
    let count = 0;
    let last = 0;
    const parse = parseFile(Readable.from(source()), { tzOffsetMinutes: 0, fileName: 'EURUSD_M1_generated.csv' });
    for await (const record of parse) {
      if (record.kind !== 'bar') throw new Error(`unexpected ${record.kind} at record ${count}`);
      count += 1;
      last = record.timeMs;
      if (count % 50_000 === 0) {
        maxAhead = Math.max(maxAhead, produced - count);
        gc();
        maxGrowth = Math.max(maxGrowth, process.memoryUsage().heapUsed - baseline);
      }
    }
    gc();
    expect(count).toBe(LINES);
    expect(last).toBe(start + (LINES - 1) * 60_000);
    expect(parse.summary).toMatchObject({ accepted: LINES, rows: LINES, timeframe: 'M1', symbol: 'EURUSD' });
    // Keeping the 300,000 records (or the text) would take tens of MB.
    expect(maxGrowth).toBeLessThan(12 * MB);
    // Back-pressure: the generator is only ever a few chunks ahead of the consumer.
    expect(maxAhead).toBeLessThan(50 * LINES_PER_CHUNK);
  });
});
