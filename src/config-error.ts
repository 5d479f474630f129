import { DocstoreError } from './errors/docstore-error.js';

export const CONFIG_ERROR_CODES = ['config.invalid'] as const;

export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

export interface ConfigIssue {
  variable: string;
  message: string;
}

/** The configuration is invalid: `issues` names each variable (or option) and what is wrong with it. */
export class ConfigError extends DocstoreError<ConfigErrorCode> {
  constructor(readonly issues: ConfigIssue[]) {
    super('config.invalid', `Invalid configuration:\n${issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n')}`);
  }
}
