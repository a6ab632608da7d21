/**
 * The commands the bot offers, in menu order. One list feeds setMyCommands, /help and the
 * help keyboard, so a command is never advertised in one place and missing in another.
 * Only built commands appear here.
 */
export interface BotCommandInfo {
  command: string;
  description: string;
  /** Shown when the help button for this command is pressed. */
  details: string;
}

export const COMMANDS: BotCommandInfo[] = [
  {
    command: 'start',
    description: 'Welcome, join a desk with an invite code',
    details: 'Send /start to see who you are on TradePilot. To join a trading desk, open the invite link your desk admin sent you, or send <code>/start CODE</code> with the invite code.',
  },
  {
    command: 'help',
    description: 'What the bot can do',
    details: 'Lists the commands. Press a button to read more about one.',
  },
];
