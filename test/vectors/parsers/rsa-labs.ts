/**
 * Parser for the RSA Laboratories PKCS #1 test-vector layout (pss-vect.txt, oaep-vect.txt,
 * pkcs1v15*-vectors.txt) and the pyca files that copy it: `# Label:` lines followed by hex lines, keys
 * introduced by `# Example ...`, and one case per `# Message...:` label.
 */
import { readFileSync } from 'node:fs';

export interface RsaLabsKey {
  readonly n: Buffer;
  readonly e: Buffer;
  readonly d: Buffer;
  readonly p: Buffer;
  readonly q: Buffer;
  readonly dp: Buffer;
  readonly dq: Buffer;
  readonly qi: Buffer;
}

export interface RsaLabsCase {
  readonly key: RsaLabsKey;
  readonly message: Buffer;
  /** Signature or ciphertext. */
  readonly output: Buffer;
  readonly name: string;
}

type Fields = Map<string, Buffer>;

const KEY_LABELS: Readonly<Record<string, keyof RsaLabsKey>> = {
  Modulus: 'n',
  'Public exponent': 'e',
  'Prime 1': 'p',
  'Prime 2': 'q',
  'Prime exponent 1': 'dp',
  'Prime exponent 2': 'dq',
  Coefficient: 'qi',
};

export function parseRsaLabs(path: string | URL): RsaLabsCase[] {
  const cases: RsaLabsCase[] = [];
  let keyFields: Fields = new Map();
  let key: RsaLabsKey | undefined;
  let caseFields: Fields | undefined;
  let caseName = '';
  let label: string | undefined;
  let keyIndex = 0;

  const closeCase = (): void => {
    if (caseFields === undefined || key === undefined) return;
    const message = caseFields.get('message');
    const output = caseFields.get('signature') ?? caseFields.get('encryption');
    if (message !== undefined && output !== undefined) cases.push({ key, message, output, name: caseName });
    caseFields = undefined;
  };

  for (const raw of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (/^# Example\b/.test(line)) {
      closeCase();
      keyFields = new Map();
      key = undefined;
      keyIndex += 1;
      label = undefined;
      continue;
    }
    const labelMatch = /^# ([^:]+):\s*$/.exec(line);
    if (labelMatch !== null) {
      label = labelMatch[1] ?? '';
      if (label.startsWith('Message')) {
        closeCase();
        key ??= completeKey(keyFields);
        caseFields = new Map();
        caseName = `key ${keyIndex}, case ${cases.filter((c) => c.key === key).length + 1}`;
        label = 'message';
      } else if (caseFields !== undefined) {
        label = label.toLowerCase();
      } else if (label === 'Exponent') {
        // "Exponent" is e in the public block and d in the private block (which follows "Public exponent").
        label = keyFields.has('e') ? 'd' : 'e';
      } else {
        label = KEY_LABELS[label] ?? `ignored:${label}`;
      }
      // The private-key block repeats the modulus and public exponent: a label starts its value afresh.
      (caseFields ?? keyFields).delete(label);
      continue;
    }
    if (line.startsWith('#') || line.startsWith('=') || line === '') continue;
    if (label === undefined || !/^[0-9a-fA-F ]+$/.test(line)) continue;
    const target = caseFields ?? keyFields;
    // pyca writes each number on one unspaced line, and small ones with an odd digit count ("10001").
    const digits = line.replace(/ /g, '');
    const bytes = Buffer.from(digits.length % 2 === 1 ? `0${digits}` : digits, 'hex');
    target.set(label, Buffer.concat([target.get(label) ?? Buffer.alloc(0), bytes]));
  }
  closeCase();
  return cases;
}

function completeKey(fields: Fields): RsaLabsKey {
  const get = (name: keyof RsaLabsKey): Buffer => {
    const value = fields.get(name);
    if (value === undefined) throw new Error(`RSA key without '${name}'`);
    return value;
  };
  return {
    n: get('n'),
    e: get('e'),
    d: get('d'),
    p: get('p'),
    q: get('q'),
    dp: get('dp'),
    dq: get('dq'),
    qi: get('qi'),
  };
}
