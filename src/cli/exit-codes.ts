/** Documented exit codes of the `docstore` command (a module of its own: every command loads it, so it imports nothing). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  verificationMismatch: 3,
} as const;
