/** PLACEHOLDER (coordinator): `strongroom jobs run`; a helper replaces this file. */
import { COMMON_OPTIONS, CommandFailure, type Command } from '../command.ts';

const OPTIONS = { ...COMMON_OPTIONS } as const;

export const jobsRun: Command<typeof OPTIONS> = {
  name: 'jobs run',
  summary: '(not built yet)',
  examples: [],
  options: OPTIONS,
  async run() {
    throw new CommandFailure('not built yet');
  },
};
