import { startTsxChild, type TsxChild } from './tsx-child';

export type Holder = TsxChild;

/** Starts test/support/clickhouse-holder.ts on `dataDir` and resolves once it holds the store. */
export function startHolder(dataDir: string, level: 'warn' | 'info' = 'warn'): Promise<Holder> {
  return startTsxChild('clickhouse-holder.ts', [dataDir, level], (line) => line === 'open');
}
