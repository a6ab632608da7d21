import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidInputError } from '../core/errors';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  verbose: boolean;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Lines after the usage: each option and what it does. */
  help: string;
  options: OptionSpec;
  allowPositionals?: boolean;
  run(args: { values: Record<string, unknown>; positionals: string[] }, ctx: CommandContext): Promise<number>;
}

/** Parse a command's flags; an unknown flag or a missing value is a usage error naming it. */
export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' }, verbose: { type: 'boolean' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    // node's parseArgs explains some errors over several lines; the CLI promises one.
    const raw = (error as Error).message;
    const ambiguous = /Option '(-[-\w]+)[^']*' argument is ambiguous/.exec(raw);
    const message = ambiguous
      ? `${ambiguous[1]} needs its value attached when the value starts with "-": write ${ambiguous[1]}=<value>`
      : raw.replace(/\. To specify a positional argument.*$/s, '').split('\n')[0]!;
    throw new InvalidInputError('usage', `${message} (see: tradepilot ${command.name} --help)`);
  }
}

export function helpText(command: Command): string {
  return `Usage: ${command.usage}\n\n${command.summary}\n\n${command.help.trimEnd()}\n  -h, --help         show this help\n      --verbose      print stack traces on failure\n`;
}
