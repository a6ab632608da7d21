// Modules of core, not its index: the index also loads metrics, events and their packages,
// which every command would then pay for in start-up time and memory (the importer's peak).
import { ConfigError, describeError, isAppError } from '../core/errors';
import { helpText, parseCommandArgs, type Command, type CommandContext } from './command';
import { importCommand } from './import';
import { indicatorsCommand } from './indicators';
import { migrateCommand } from './migrate';
import { startCommand } from './start';

const COMMANDS: Command[] = [startCommand, migrateCommand, importCommand, indicatorsCommand];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: tradepilot <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `tradepilot <command> --help` for a command\'s options. Configuration comes from',
    'environment variables (see the README); a bad value is named and nothing starts.',
    '',
  ].join('\n');
}

/**
 * Runs one CLI invocation and returns the exit code: 0 success, 1 failure, 2 bad usage or
 * configuration. Failures print one line on stderr; the stack only with --verbose.
 */
export async function main(argv: string[], ctx: Partial<CommandContext> = {}): Promise<number> {
  const context: CommandContext = {
    stdout: ctx.stdout ?? process.stdout,
    stderr: ctx.stderr ?? process.stderr,
    env: ctx.env ?? process.env,
    verbose: argv.includes('--verbose'),
  };
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(overview());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    context.stderr.write(`tradepilot: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})\n`);
    return 2;
  }
  try {
    const args = parseCommandArgs(command, rest);
    if (args.values.help) {
      context.stdout.write(helpText(command));
      return 0;
    }
    return await command.run(args as { values: Record<string, unknown>; positionals: string[] }, context);
  } catch (error) {
    context.stderr.write(`tradepilot ${name}: ${describeError(error)}\n`);
    if (context.verbose && error instanceof Error && error.stack) context.stderr.write(`${error.stack}\n`);
    if (error instanceof ConfigError || (isAppError(error) && error.code === 'usage')) return 2;
    return 1;
  }
}
