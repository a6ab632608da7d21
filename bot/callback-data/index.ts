import { callbackCodec } from './codec';

export { callbackCodec, type CallbackCodec } from './codec';

/** Help keyboard: `help:<command>` opens one command's page, `help:` goes back to the list. */
export const helpData = callbackCodec('help', ['topic'] as const);
