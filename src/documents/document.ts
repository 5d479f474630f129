/**
 * Moved to `src/shared/document.ts` (the web console uses it too): import from there. This
 * re-export keeps the imports of work started before the move compiling; it goes once that work
 * has landed.
 */
export * from '../shared/document.js';
