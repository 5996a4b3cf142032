/**
 * `strongroom <command>`: finds the command, parses its options, runs it and turns the outcome into the exit
 * code every command shares (0 success, 1 failure, 2 bad usage). Failures are one line on stderr, with the
 * service's error code when the service refused; with --json that line is also a JSON object on stdout.
 */
import { COMMON_OPTIONS, CommandFailure, commandHelp, parseOptions, UsageError, type Command, type CommandIo, type OptionSpecs } from './command.ts';
import { auditExport } from './commands/audit-export.ts';
import { auditQuery } from './commands/audit-query.ts';
import { auditVerify } from './commands/audit-verify.ts';
import { attestationRoot } from './commands/attestation-root.ts';
import { attestationVerify } from './commands/attestation-verify.ts';
import { backup } from './commands/backup.ts';
import { byokBlob } from './commands/byok-blob.ts';
import { jobsRun } from './commands/jobs-run.ts';
import { keyDownload } from './commands/key-download.ts';
import { keyImport } from './commands/key-import.ts';
import { keyShow } from './commands/key-show.ts';
import { principalCreate, principalDelete, principalList, principalResetSecret, principalShow } from './commands/principal.ts';
import { roleAssignmentCreate, roleAssignmentDelete, roleAssignmentList } from './commands/role-assignment.ts';
import { roleDefinitionCreate, roleDefinitionDelete, roleDefinitionList } from './commands/role-definition.ts';
import { restore } from './commands/restore.ts';
import { runServe } from './commands/serve.ts';
import { securityDomainDownload } from './commands/security-domain-download.ts';
import { securityDomainUpload } from './commands/security-domain-upload.ts';
import { ServiceError } from './service-client.ts';

/** A command with its option types erased, for the table: each parses its own values with its own specs. */
const entry = <S extends OptionSpecs>(command: Command<S>) => command as unknown as Command<OptionSpecs>;
const COMMANDS: readonly Command<OptionSpecs>[] = [
  entry(securityDomainDownload), entry(securityDomainUpload), entry(backup), entry(restore),
  entry(principalCreate), entry(principalList), entry(principalShow), entry(principalDelete), entry(principalResetSecret),
  entry(roleAssignmentCreate), entry(roleAssignmentList), entry(roleAssignmentDelete),
  entry(roleDefinitionList), entry(roleDefinitionCreate), entry(roleDefinitionDelete),
  entry(auditVerify), entry(auditQuery), entry(auditExport),
  entry(keyImport), entry(keyDownload), entry(keyShow), entry(byokBlob),
  entry(attestationRoot), entry(attestationVerify),
  entry(jobsRun),
];

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(overview());
    return EXIT.ok;
  }
  if (first === 'serve') {
    await runServe(argv.slice(1));
    return EXIT.ok;
  }
  // The command whose words begin argv, the longest (`role assignment create` has three).
  const startsArgv = (words: string[]) => words.every((word, index) => argv[index] === word);
  const command = COMMANDS.filter((c) => startsArgv(c.name.split(' '))).sort((a, b) => b.name.length - a.name.length)[0];
  if (command === undefined) {
    // The longest group argv begins with: `security-domain`, `role`, `role assignment`.
    let group: string[] = [];
    for (const c of COMMANDS) {
      const words = c.name.split(' ');
      for (let length = words.length - 1; length > group.length; length--) {
        if (startsArgv(words.slice(0, length))) group = words.slice(0, length);
      }
    }
    const next = argv[group.length];
    if (group.length > 0 && (next === undefined || next.startsWith('-'))) {
      // `strongroom security-domain` alone (or with options only) is bad usage (stderr, 2); with --help it is
      // help (stdout, 0).
      const help = next === '--help' || next === '-h';
      (help ? io.stdout : io.stderr).write(overview(group.join(' ')));
      return help ? EXIT.ok : EXIT.usage;
    }
    io.stderr.write(`strongroom: unknown command '${[...group, next].filter(Boolean).join(' ')}'. Run: strongroom --help\n`);
    return EXIT.usage;
  }
  const args = argv.slice(command.name.split(' ').length);
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  const json = args.includes('--json');
  try {
    await command.run(parseOptions(command.options, args), io);
    return EXIT.ok;
  } catch (error) {
    return reportFailure(io, command, error, json);
  }
}

function reportFailure(io: CommandIo, command: Command<OptionSpecs>, error: unknown, json: boolean): number {
  const usage = error instanceof UsageError;
  const known = usage || error instanceof CommandFailure || error instanceof ServiceError;
  const message = known ? (error as Error).message : `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  io.stderr.write(`strongroom ${command.name}: ${message}\n${usage ? `Run: strongroom ${command.name} --help\n` : ''}`);
  if (json) {
    const code = error instanceof ServiceError ? error.code : usage ? 'Usage' : 'Failure';
    io.stdout.write(`${JSON.stringify({ error: { code, message: known ? (error as Error).message : 'unexpected error' } })}\n`);
  }
  return usage ? EXIT.usage : EXIT.failure;
}

function overview(group?: string): string {
  const rows = [
    ...(group === undefined ? [['serve', 'Run the Strongroom service (what npm start runs); see strongroom serve --help.']] : []),
    ...COMMANDS.filter((c) => group === undefined || c.name.startsWith(`${group} `)).map((c) => [c.name, c.summary]),
  ].map(([name, summary]) => `  ${(name ?? '').padEnd(26)} ${summary ?? ''}`);
  return [
    `Usage: strongroom ${group ?? '<command>'} ${group === undefined ? '' : '<command> '}[options]`,
    '',
    'Commands:',
    ...rows,
    '',
    `Every command takes ${Object.keys(COMMON_OPTIONS).map((o) => `--${o}`).join(' and ')}; exit codes: 0 success, 1 failure, 2 bad usage.`,
    '',
  ].join('\n');
}
