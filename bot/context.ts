import type { Context } from 'grammy';
import type { Logger } from '../core';

/** Context flavor: every update carries a child logger bound to its update_id. */
export interface LogFlavor {
  log: Logger;
}

export type BotContext = Context & LogFlavor;
