/**
 * `strongroom key show --name NAME [--version V] [--json]`: a key version's properties as the service answers
 * them (GET /keys/{name}[/{version}]): its id, type, size or curve, key_ops, attributes — Cloud HSM's `trusted`
 * and `wrapWithTrusted` included (docs/cloud-hsm-keys.md) — tags and whether it has a release policy. Public
 * data only; --json prints the key bundle as the service sent it.
 */
import { COMMON_OPTIONS, CommandFailure, printResult, required, type Command } from '../command.ts';
import { CONNECTION_OPTIONS, connect } from '../connection.ts';

const OPTIONS = {
  name: { type: 'string', value: 'NAME', description: 'The key.' },
  version: { type: 'string', value: 'VERSION', description: 'A version of the key (default: the latest).' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

interface KeyBundle {
  key?: { kid?: string; kty?: string; key_ops?: string[]; n?: string; crv?: string };
  attributes?: Record<string, unknown>;
  tags?: Record<string, string>;
  release_policy?: { immutable?: boolean };
}

export const keyShow: Command<typeof OPTIONS> = {
  name: 'key show',
  summary: "Show a key version's properties (attributes with trusted and wrapWithTrusted, key_ops, tags); --json: the key bundle.",
  examples: [
    'strongroom key show --name my-key',
    'strongroom key show --name my-key --version 1f0e… --json',
  ],
  options: OPTIONS,
  async run(values, io) {
    const name = required(values.name, '--name');
    const client = connect(values, io.env);
    try {
      const path = `/keys/${encodeURIComponent(name)}${values.version === undefined ? '' : `/${encodeURIComponent(values.version)}`}`;
      const bundle = (await client.request('GET', path)).body as KeyBundle | undefined;
      if (bundle?.key?.kid === undefined) throw new CommandFailure(`the service answered no key bundle for ${name}`);
      printResult(io, values.json, bundle, linesOf(bundle));
    } finally {
      client.close();
    }
  },
};

function linesOf(bundle: KeyBundle): string[] {
  const key = bundle.key ?? {};
  const attributes = bundle.attributes ?? {};
  const date = (value: unknown) => (typeof value === 'number' ? new Date(value * 1000).toISOString() : undefined);
  const size = key.n === undefined ? undefined : `${Buffer.from(key.n, 'base64url').length * 8} bits`;
  const rows: Array<[string, string | undefined]> = [
    ['kid', key.kid],
    ['kty', [key.kty, size ?? key.crv].filter((part) => part !== undefined).join(', ')],
    ['key_ops', (key.key_ops ?? []).join(', ')],
    ['enabled', String(attributes['enabled'])],
    ['nbf', date(attributes['nbf'])],
    ['exp', date(attributes['exp'])],
    ['created', date(attributes['created'])],
    ['updated', date(attributes['updated'])],
    ['exportable', String(attributes['exportable'])],
    ['trusted', String(attributes['trusted'])],
    ['wrapWithTrusted', String(attributes['wrapWithTrusted'])],
    ['recoveryLevel', typeof attributes['recoveryLevel'] === 'string' ? attributes['recoveryLevel'] : undefined],
    ['release policy', bundle.release_policy === undefined ? 'none' : bundle.release_policy.immutable === true ? 'yes (immutable)' : 'yes'],
    ['tags', bundle.tags === undefined ? undefined : Object.entries(bundle.tags).map(([tag, value]) => `${tag}=${value}`).join(', ')],
  ];
  return rows.filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '').map(([label, value]) => `${label.padEnd(16)}${value}`);
}
