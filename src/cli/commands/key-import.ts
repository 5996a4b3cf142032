/** PLACEHOLDER (coordinator): `strongroom key import`; a helper replaces this file. */
import { COMMON_OPTIONS, CommandFailure, type Command } from '../command.ts';

const OPTIONS = { ...COMMON_OPTIONS } as const;

export const keyImport: Command<typeof OPTIONS> = {
  name: 'key import',
  summary: '(not built yet)',
  examples: [],
  options: OPTIONS,
  async run() {
    throw new CommandFailure('not built yet');
  },
};
