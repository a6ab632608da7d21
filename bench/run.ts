/**
 * `npm run bench -- [suite…] [--json]`: runs the named suites (all when none are named),
 * after printing the machine. One line per result: a table row, or with `--json` a JSON
 * object in DESIGN.md's format (the machine line is then JSON too: `{"machine":{…}}`).
 * An unknown suite or option exits with status 2 and one line on stderr.
 */
import { checkSink, machineInfo, type BenchContext, type BenchResult } from './harness';
import { suites } from './suites';

const USAGE = 'usage: npm run bench -- [suite…] [--json]';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function parseArgs(args: readonly string[]): { names: string[]; json: boolean } {
  const known = Object.keys(suites);
  let json = false;
  const names: string[] = [];
  for (const arg of args) {
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\nsuites: ${known.join(', ')}\n`);
      process.exit(0);
    } else if (arg.startsWith('-')) fail(`unknown option ${arg}; ${USAGE}`);
    else if (!known.includes(arg)) fail(`unknown suite "${arg}"; known suites: ${known.join(', ')}`);
    else if (!names.includes(arg)) names.push(arg);
  }
  return { names: names.length > 0 ? names : known, json };
}

const COLUMNS = [
  ['suite', 12],
  ['metric', 26],
  ['value', 12],
  ['unit', 5],
  ['peer', 21],
  ['peer value', 12],
  ['ratio', 0],
] as const;

function tableRow(cells: readonly string[]): string {
  return cells
    .map((cell, i) => {
      const width = COLUMNS[i]![1];
      const right = i === 2 || i === 5;
      return width === 0 ? cell : right ? `${cell.padStart(width - 2)}  ` : cell.padEnd(width);
    })
    .join('')
    .trimEnd();
}

function formatRow(result: BenchResult): string {
  const ratio =
    result.ratio === null ? '' : `${result.ratio.toFixed(2)}× ${result.ratio >= 1 ? 'ahead' : 'behind'}`;
  return tableRow([
    result.suite,
    result.metric,
    result.value.toFixed(2),
    result.unit,
    result.peer ?? '-',
    result.peer_value === null ? '' : result.peer_value.toFixed(2),
    ratio,
  ]);
}

async function main(): Promise<void> {
  const { names, json } = parseArgs(process.argv.slice(2));
  const machine = machineInfo();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (json) out(JSON.stringify({ machine }));
  else {
    out(`machine: ${machine.cores} cores, ${machine.cpu}, Node ${machine.node} (${machine.platform} ${machine.arch})`);
    out(tableRow(COLUMNS.map(([title]) => title)));
  }
  const context: BenchContext = {
    progress: (message) => {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${message}`);
    },
  };
  for (const name of names) {
    const suite = await suites[name]!();
    await suite.run({ progress: (message) => context.progress(`${name}: ${message}`) }, (result) => {
      context.progress('');
      out(json ? JSON.stringify(result) : formatRow(result));
    });
  }
  context.progress('');
  checkSink();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
