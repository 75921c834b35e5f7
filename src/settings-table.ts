import { SETTING_SPECS } from './settings.js';

/** The README's configuration table, one row per setting, from the code's own list. */
export function settingsTable(): string {
  const rows = ['| environment | flag | default | meaning | LogCollector / Secret |', '|---|---|---|---|---|'];
  for (const spec of Object.values(SETTING_SPECS)) {
    const env = spec.env ? `\`${spec.env}\`` : (spec.source ?? '');
    const flag = spec.flag ? `\`${spec.flag}\`` : '';
    rows.push(`| ${env} | ${flag} | ${spec.default} | ${spec.meaning} | ${spec.cluster ?? ''} |`);
  }
  return rows.join('\n');
}
