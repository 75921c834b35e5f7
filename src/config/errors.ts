/** One setting that is missing or invalid. */
export interface ConfigIssue {
  /** The setting as a person sets it: `AWS_REGION / --region`. */
  setting: string;
  message: string;
}

/**
 * Settings that are missing or invalid, all of them at once, each naming its setting. The CLI
 * prints them and exits with status 2.
 */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  /** The first issue's setting. */
  readonly setting: string;

  constructor(setting: string, message: string);
  constructor(issues: readonly ConfigIssue[]);
  constructor(settingOrIssues: string | readonly ConfigIssue[], message?: string) {
    const issues = typeof settingOrIssues === 'string' ? [{ setting: settingOrIssues, message: message ?? 'is invalid' }] : settingOrIssues;
    super(issues.map((i) => `${i.setting}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
    this.setting = issues[0]?.setting ?? '';
  }
}
