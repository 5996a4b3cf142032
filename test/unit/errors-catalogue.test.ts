/**
 * The error catalogue, docs/errors.md and the API reference's error table (vendored in test/fixtures, with its
 * source) agree on every code and status.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { errorCatalogue } from '../../src/errors/catalogue.ts';
import { projectRoot } from '../../harness/server-process.ts';

function tableRows(markdown: string): Array<[number, string, string]> {
  return [...markdown.matchAll(/^\| (\d{3}) \| `([A-Za-z][A-Za-z ]*)` \| (.+?) \|$/gm)].map((m) => [Number(m[1]), m[2] ?? '', m[3] ?? '']);
}

test('docs/errors.md lists exactly the catalogue, with the same statuses and summaries', () => {
  const rows = tableRows(readFileSync(join(projectRoot, 'docs', 'errors.md'), 'utf8'));
  assert.deepEqual(
    rows.map(([status, code, summary]) => [code, status, summary]).sort(),
    Object.entries(errorCatalogue).map(([code, entry]) => [code, entry.status, entry.summary]).sort(),
  );
});

test('every code of the API reference error table is in the catalogue with the same status', () => {
  const section = readFileSync(join(projectRoot, 'test', 'fixtures', 'azure-keyvault-error-table.md'), 'utf8');
  const codes = [...section.matchAll(/^\| (\d{3}) \| `([A-Za-z]+)`/gm)];
  assert.ok(codes.length >= 5);
  for (const [, status, code] of codes) {
    const entry = errorCatalogue[code as keyof typeof errorCatalogue];
    assert.ok(entry !== undefined, `${code} is missing from the catalogue`);
    assert.equal(entry.status, Number(status), code);
  }
});
