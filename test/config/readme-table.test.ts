import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsTable } from '../../src/settings-table.js';
import { REPO_ROOT } from '../support/cli.js';

describe('the README configuration table', () => {
  it('is exactly the table the code renders from its list of settings', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'));
    const table = section
      .split('\n')
      .filter((l) => l.startsWith('|'))
      .join('\n');
    // On drift, paste `settingsTable()`'s output into the README.
    expect(table.slice(0, settingsTable().length + 1).trimEnd()).toBe(settingsTable());
  });
});
