/** PLACEHOLDER (coordinator): `strongroom byok blob`; a helper replaces this file. */
import { COMMON_OPTIONS, CommandFailure, type Command } from '../command.ts';

const OPTIONS = { ...COMMON_OPTIONS } as const;

export const byokBlob: Command<typeof OPTIONS> = {
  name: 'byok blob',
  summary: '(not built yet)',
  examples: [],
  options: OPTIONS,
  async run() {
    throw new CommandFailure('not built yet');
  },
};
