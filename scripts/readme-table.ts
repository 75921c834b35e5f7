// tsx scripts/readme-table.ts: writes the configuration table rendered from the code
// (settingsTable()) into README.md, in place of the table under "## Configuration".
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { settingsTable } from '../src/settings-table.js';

const file = fileURLToPath(new URL('../README.md', import.meta.url));
const lines = readFileSync(file, 'utf8').split('\n');
const section = lines.findIndex((l) => l.startsWith('## Configuration'));
const first = lines.findIndex((l, i) => i > section && l.startsWith('|'));
let end = first;
while (end < lines.length && lines[end]!.startsWith('|')) end++;
if (section < 0 || first < 0) throw new Error('README.md has no table under "## Configuration"');
lines.splice(first, end - first, ...settingsTable().split('\n'));
writeFileSync(file, lines.join('\n'));
