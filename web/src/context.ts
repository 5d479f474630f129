import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api, Me } from './api.js';
import type { Translator } from './i18n/index.js';

export interface ConsoleContext {
  tr: Translator;
  api: Api;
  me: Me;
  /** Reloads the buildings list (counts change after uploads, deletions and restores). */
  refreshBuildings(): void;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (value === null) throw new Error('useConsole outside a signed-in console');
  return value;
}
