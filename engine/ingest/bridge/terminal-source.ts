import { createHash } from 'node:crypto';

/** The longest `source` the bus accepts in tick and feed.status events (core/events.ts). */
const MAX_SOURCE_CHARS = 64;

/**
 * `Tick.source` of a terminal's ticks: `mt5:<server>:<account>`. Two terminals are two
 * sources even on one broker server (the failover routers switch between sources), and every
 * connection of one terminal is the same source. The tenant is left out: two desks streaming
 * the same broker account get the same quotes. A name past 64 characters keeps its start and
 * ends in a hash of the whole, so it stays unique and stable across reconnects.
 */
export function terminalSource(server: string, account: string): string {
  const name = `mt5:${server}:${account}`;
  if (name.length <= MAX_SOURCE_CHARS) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${name.slice(0, MAX_SOURCE_CHARS - hash.length - 1)}~${hash}`;
}
