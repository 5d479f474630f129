import type { DocstoreConfig } from '../config.js';

/**
 * The validated configuration, for a command's action: config.ts and its schemas load with the first
 * command that needs them, not when the CLI starts (`docstore --help` needs none of it).
 */
export async function loadCliConfig(): Promise<DocstoreConfig> {
  const { loadConfig } = await import('../config.js');
  return loadConfig();
}
