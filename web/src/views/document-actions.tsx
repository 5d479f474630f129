import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { useConsole } from '../context.js';

/** Something a person may do to one document, as a button. */
export interface DocumentAction {
  /** Its button's `data-action` (tests, styles). */
  id: string;
  label: string;
  /** The button's accessible name when the label alone is ambiguous (several on a page). */
  name?: string;
  run: () => void;
  kind?: 'primary' | 'secondary' | 'danger';
  /** Why it cannot be done now: the button is disabled and the reason shown beside it. */
  blocked?: string | null;
}

/**
 * A document's actions: the first `inline` as buttons, the others in a “More” menu; the reason a
 * blocked action cannot be taken stays visible beside them (not hidden in the menu).
 */
export function DocumentActions({ documentId, title, actions, inline }: { documentId: string; title: string; actions: readonly DocumentAction[]; inline: number }) {
  const shown = actions.slice(0, inline);
  const rest = actions.slice(inline);
  const blocked = actions.find((action) => action.blocked != null);
  const reasonId = `blocked-${documentId}`;
  return (
    <div class="actions">
      <div class="action-row">
        {shown.map((action) => (
          <ActionButton key={action.id} action={action} reasonId={reasonId} />
        ))}
        {rest.length > 0 && <ActionMenu title={title} actions={rest} reasonId={reasonId} />}
      </div>
      {blocked != null && (
        <span id={reasonId} class="hint blocked">
          {blocked.blocked}
        </span>
      )}
    </div>
  );
}

function ActionButton({ action, reasonId, before }: { action: DocumentAction; reasonId: string; before?: () => void }) {
  const blocked = action.blocked ?? null;
  return (
    <button
      type="button"
      class={action.kind === 'primary' ? undefined : (action.kind ?? 'secondary')}
      data-action={action.id}
      aria-label={action.name}
      disabled={blocked !== null}
      aria-describedby={blocked === null ? undefined : reasonId}
      title={blocked ?? undefined}
      onClick={() => {
        before?.();
        action.run();
      }}
    >
      {action.label}
    </button>
  );
}

/**
 * A disclosure: “More” opens the other actions below it. Escape or a click elsewhere closes it;
 * choosing an action gives the focus back to “More” first, so a dialog it opens returns it there.
 */
function ActionMenu({ title, actions, reasonId }: { title: string; actions: readonly DocumentAction[]; reasonId: string }) {
  const { tr } = useConsole();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const id = useId();
  useEffect(() => {
    if (!open) return;
    const outside = (event: Event) => {
      if (root.current?.contains(event.target as Node) !== true) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);
  const close = () => {
    toggle.current?.focus();
    setOpen(false);
  };
  return (
    <div
      class="menu"
      ref={root}
      onKeyDown={(event) => {
        if (event.key !== 'Escape' || !open) return;
        // Inside a dialog's page, Escape closes the menu only.
        event.preventDefault();
        event.stopPropagation();
        close();
      }}
    >
      <button ref={toggle} type="button" class="secondary menu-toggle" aria-expanded={open} aria-controls={id} aria-label={tr.t('action.moreFor', { title })} onClick={() => setOpen(!open)}>
        {tr.t('action.more')}
      </button>
      <ul id={id} class="menu-items" hidden={!open}>
        {actions.map((action) => (
          <li key={action.id}>
            <ActionButton action={action} reasonId={reasonId} before={close} />
          </li>
        ))}
      </ul>
    </div>
  );
}
