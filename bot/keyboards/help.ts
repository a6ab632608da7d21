import { InlineKeyboard } from 'grammy';
import { helpData } from '../callback-data';
import { COMMANDS } from '../commands';

export function helpKeyboard(): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  COMMANDS.forEach((info, i) => {
    keyboard.text(`/${info.command}`, helpData.pack({ topic: info.command }));
    if (i % 3 === 2) keyboard.row();
  });
  return keyboard;
}

export function backToHelpKeyboard(): InlineKeyboard {
  return new InlineKeyboard().text('« All commands', helpData.pack({ topic: 'all' }));
}
