import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../core/logger';
import { terminalSource } from '../../../../engine/ingest/bridge';
import { ManualClock, SourceManager, TerminalSources, terminalRank, type FeedStatusEvent, type TerminalIdentity } from '../../../../engine/ingest/sources';
import type { Tick } from '../../../../engine/market/types';
import { tick } from './support';

const logger = createLogger({ level: 'silent', pretty: false });
const WEDNESDAY = Date.UTC(2024, 0, 10, 12);

const terminal = (server: string, account: string): TerminalIdentity => ({ server, account, source: terminalSource(server, account) });

describe('terminalRank', () => {
  const priority = [{ server: 'ICMarketsSC-Live', account: '51234567' }, { server: 'Pepperstone-Edge' }, { server: 'ICMarketsSC-Live' }];

  it('ranks a terminal by the first entry naming its server (any case) and, where given, its account', () => {
    expect(terminalRank(priority, { server: 'ICMarketsSC-Live', account: '51234567' })).toBe(0);
    expect(terminalRank(priority, { server: 'pepperstone-edge', account: '1' })).toBe(1);
    expect(terminalRank(priority, { server: 'ICMarketsSC-Live', account: '999' })).toBe(2);
  });

  it('ranks every unlisted terminal after the listed ones', () => {
    expect(terminalRank(priority, { server: 'Exness-Real', account: '51234567' })).toBe(3);
    expect(terminalRank([], { server: 'Exness-Real', account: '1' })).toBe(0);
  });
});

describe('terminalSource', () => {
  it('tells apart two accounts on one server and stays within the bus limit for long names', () => {
    expect(terminalSource('ICMarketsSC-Live', '51234567')).toBe('mt5:ICMarketsSC-Live:51234567');
    expect(terminalSource('ICMarketsSC-Live', '51234568')).not.toBe(terminalSource('ICMarketsSC-Live', '51234567'));
    const long = terminalSource('A-Very-Long-Broker-Server-Name-That-Goes-On-And-On-Live-01', '1234567890');
    const other = terminalSource('A-Very-Long-Broker-Server-Name-That-Goes-On-And-On-Live-01', '1234567891');
    expect(long.length).toBe(64);
    expect(long.startsWith('mt5:A-Very-Long-Broker-Server-Name')).toBe(true);
    expect(long).not.toBe(other);
    expect(terminalSource('A-Very-Long-Broker-Server-Name-That-Goes-On-And-On-Live-01', '1234567890')).toBe(long);
  });
});

describe('TerminalSources', () => {
  function setup(priority: Array<{ server: string; account?: string }>) {
    const clock = new ManualClock(WEDNESDAY);
    const events: FeedStatusEvent[] = [];
    const merged: Tick[] = [];
    const manager = new SourceManager({ sources: [], symbols: ['EURUSD'], clock, logger, onStatus: (e) => events.push(e) });
    const terminals = new TerminalSources({ manager, symbols: ['EURUSD'], priority });
    return { clock, events, merged, manager, terminals };
  }
  const order = (manager: SourceManager) => manager.status().symbols[0]!.sources.map((s) => s.name);

  it('ranks listed terminals first and the others in order of first connection', async () => {
    const { manager, terminals, merged } = setup([{ server: 'Main-Live', account: '1' }, { server: 'Second-Live' }]);
    await manager.start((t) => merged.push(t));
    terminals.sourceFor(terminal('Vps-Demo', '7'));
    terminals.sourceFor(terminal('Home-Demo', '8'));
    terminals.sourceFor(terminal('second-live', '3'));
    terminals.sourceFor(terminal('Main-Live', '2'));
    terminals.sourceFor(terminal('Main-Live', '1'));
    expect(order(manager)).toEqual(['mt5:Main-Live:1', 'mt5:second-live:3', 'mt5:Vps-Demo:7', 'mt5:Home-Demo:8', 'mt5:Main-Live:2']);
    expect(manager.status().sources.every((s) => s.kind === 'mt5' && s.stats?.state === 'running')).toBe(true);
    await manager.stop();
  });

  it('maps every connection of a terminal to one source, and routes its ticks under that name', async () => {
    const { manager, terminals, merged, clock, events } = setup([]);
    await manager.start((t) => merged.push(t));
    // Two sessions of the same terminal (a reconnect): distinct objects, the same identity.
    const first = terminal('Broker-Live', '1001');
    const again = terminal('Broker-Live', '1001');
    const other = terminal('Broker-Live', '1002');
    expect(terminals.sourceFor(first)).toBe(terminals.sourceFor(again));
    terminals.push(tick('EURUSD', clock.now(), 1.1, first.source), first);
    clock.advance(100);
    terminals.push(tick('EURUSD', clock.now(), 1.1, other.source), other);
    terminals.push(tick('EURUSD', clock.now(), 1.1, again.source), again);
    // A symbol outside MT5_SYMBOLS is dropped and counted by the terminal's source.
    terminals.push(tick('GBPUSD', clock.now(), 1.3, again.source), again);
    expect(terminals.names()).toEqual(['mt5:Broker-Live:1001', 'mt5:Broker-Live:1002']);
    expect(manager.status().sources.map((s) => s.name)).toEqual(terminals.names());
    expect(merged.map((t) => t.source)).toEqual(['mt5:Broker-Live:1001', 'mt5:Broker-Live:1001']);
    expect(events.map((e) => [e.source, e.status])).toEqual([['mt5:Broker-Live:1001', 'up']]);
    expect(manager.status().sources[0]!.stats).toMatchObject({ emitted: 2, droppedUnknownSymbol: 1 });
    await manager.stop();
  });
});
