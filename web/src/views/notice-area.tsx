import { useEffect, useRef } from 'preact/hooks';
import { useConsole } from '../context.js';
import type { Said } from '../errors.js';

/** What the building view last said: an outcome (status) or a failure (alert), with its link or undo. */
export interface Notice {
  say: Said;
  kind: 'status' | 'error';
  /** A time-limited link, shown to copy by hand. */
  link?: string;
  /**
   * Takes the action back (a deletion): offered until the next notice replaces this one, and
   * given the focus at once so that a keyboard user can press it.
   */
  undo?: () => void;
}

/** The live region under the filters; its text is written in the current language at each render. */
export function NoticeArea({ notice, onDismiss }: { notice: Notice | null; onDismiss: () => void }) {
  const { tr } = useConsole();
  const undo = useRef<HTMLButtonElement>(null);
  const region = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (notice?.undo !== undefined) undo.current?.focus();
  }, [notice]);
  return (
    <div ref={region} class="notice" tabIndex={-1} role={notice?.kind === 'error' ? 'alert' : 'status'} aria-live="polite">
      {notice !== null && (
        <p class={notice.kind === 'error' ? 'error' : 'ok'}>
          {notice.say(tr)}
          {notice.undo !== undefined && (
            <>
              {' '}
              <button
                ref={undo}
                type="button"
                class="secondary"
                data-action="undo"
                onClick={() => {
                  // The button goes with its notice: the focus stays here, where the outcome is said.
                  region.current?.focus();
                  onDismiss();
                  notice.undo?.();
                }}
              >
                {tr.t('action.undo')}
              </button>
            </>
          )}
          {notice.link !== undefined && <input class="link mono" readOnly value={notice.link} aria-label={tr.t('action.copyLink')} onFocus={(event) => (event.target as HTMLInputElement).select()} />}
        </p>
      )}
    </div>
  );
}
