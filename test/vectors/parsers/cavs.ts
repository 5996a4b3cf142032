/**
 * Parser for NIST CAVP response files (.rsp, and the .txt files in the same "Name = value" layout).
 *
 * A file is a series of paragraphs separated by blank lines. `[Name = value]` / `[Name]` lines set the
 * section every following paragraph belongs to; `# ...` lines are comments; a bare `FAIL` line marks a case
 * whose decryption or unwrapping must fail. Field names are lower-cased (`KEY` and `Key` both become `key`).
 */
import { readFileSync } from 'node:fs';

export interface CavsRecord {
  /** Section attributes in force, e.g. { keylen: '128', ivlen: '96' } or { 'p-256,sha-256': '' }. */
  readonly section: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, string>>;
  readonly fail: boolean;
  /** 1-based line where the paragraph starts, for failure messages. */
  readonly line: number;
}

export function parseCavs(path: string | URL): CavsRecord[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const records: CavsRecord[] = [];
  let section: Record<string, string> = {};
  let sectionIsOpen = false;
  let fields: Record<string, string> = {};
  let fail = false;
  let start = 0;
  const flush = (): void => {
    if (Object.keys(fields).length > 0) records.push({ section: { ...section }, fields, fail, line: start });
    fields = {};
    fail = false;
  };
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const header = /^\[(.+?)(?:\s*=\s*(.*))?\]$/.exec(line);
    if (header !== null) {
      flush();
      if (!sectionIsOpen) section = {}; // a run of [..] lines forms one section
      section[(header[1] ?? '').toLowerCase()] = header[2] ?? '';
      sectionIsOpen = true;
      return;
    }
    sectionIsOpen = false;
    if (line === '') return flush();
    if (line.startsWith('#')) return;
    if (line === 'FAIL') {
      fail = true;
      return;
    }
    const field = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (field === null) throw new Error(`${String(path)}:${index + 1}: cannot parse "${line.slice(0, 40)}"`);
    if (Object.keys(fields).length === 0) start = index + 1;
    fields[(field[1] ?? '').toLowerCase()] = field[2] ?? '';
  });
  flush();
  return records;
}

/**
 * A hex field as bytes (empty string -> empty buffer); throws if the field is missing. Integers are sometimes
 * written with an odd number of digits (a P-521 coordinate, a scalar with a leading zero nibble dropped), which
 * Buffer would silently truncate, so they are left-padded first.
 */
export function hexField(record: CavsRecord, name: string): Buffer {
  const value = record.fields[name];
  if (value === undefined) throw new Error(`line ${record.line}: no field '${name}'`);
  if (!/^[0-9a-fA-F]*$/.test(value)) throw new Error(`line ${record.line}: '${name}' is not hex`);
  return Buffer.from(value.length % 2 === 1 ? `0${value}` : value, 'hex');
}
