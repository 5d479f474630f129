import { ConfigError, loadConfig } from '../../src/config.js';

/** The issues `loadConfig(env)` reports; none when the environment is valid. */
export function configIssues(env: Record<string, string>): Array<{ variable: string; message: string }> {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}
