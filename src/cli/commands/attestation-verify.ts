/** PLACEHOLDER (coordinator): `strongroom attestation verify`; a helper replaces this file. */
import { COMMON_OPTIONS, CommandFailure, type Command } from '../command.ts';

const OPTIONS = { ...COMMON_OPTIONS } as const;

export const attestationVerify: Command<typeof OPTIONS> = {
  name: 'attestation verify',
  summary: '(not built yet)',
  examples: [],
  options: OPTIONS,
  async run() {
    throw new CommandFailure('not built yet');
  },
};
