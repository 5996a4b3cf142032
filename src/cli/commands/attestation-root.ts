/** PLACEHOLDER (coordinator): `strongroom attestation root`; a helper replaces this file. */
import { COMMON_OPTIONS, CommandFailure, type Command } from '../command.ts';

const OPTIONS = { ...COMMON_OPTIONS } as const;

export const attestationRoot: Command<typeof OPTIONS> = {
  name: 'attestation root',
  summary: '(not built yet)',
  examples: [],
  options: OPTIONS,
  async run() {
    throw new CommandFailure('not built yet');
  },
};
