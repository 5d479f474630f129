import { useState } from 'preact/hooks';
import type { Document } from '../api.js';
import { useConsole } from '../context.js';
import { describeError } from '../errors.js';
import type { Translator } from '../i18n/index.js';
import { Modal } from './document-dialogs.js';

/** A calendar date (`YYYY-MM-DD`, no time) in the console's language. */
export function formatDay(tr: Translator, day: string): string {
  return new Intl.DateTimeFormat(tr.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
}

/** Why the document cannot be deleted today (legal hold first, then retention), or null. */
export function deleteBlockedReason(tr: Translator, document: Document): string | null {
  if (document.legalHold.active) return tr.t('retention.deleteBlockedHold');
  if (!document.retention.active) return null;
  if (document.retention.permanent || document.retention.retainUntil === null) return tr.t('retention.deleteBlockedPermanent');
  return tr.t('retention.deleteBlockedUntil', { date: formatDay(tr, document.retention.retainUntil) });
}

/** Until when the document is kept, and a badge when a legal hold covers it. */
export function RetentionCell({ document }: { document: Document }) {
  const { tr } = useConsole();
  const { retention } = document;
  const until = retention.permanent ? tr.t('retention.permanent') : retention.retainUntil === null ? tr.t('retention.none') : formatDay(tr, retention.retainUntil);
  return (
    <>
      <span data-retention={retention.permanent ? 'permanent' : (retention.retainUntil ?? 'none')}>{until}</span>
      {document.legalHold.active && (
        <>
          {' '}
          <span class="badge hold" data-legal-hold={document.legalHold.scope ?? ''}>
            {tr.t('retention.heldBadge')}
          </span>
        </>
      )}
    </>
  );
}

/** Places or releases a legal hold on one document; the reason is required either way and kept. */
export function LegalHoldDialog({ document, onClose }: { document: Document; onClose: (changed?: string) => void }) {
  const { tr, api } = useConsole();
  const releasing = document.legalHold.scope === 'document';
  const [reason, setReason] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await api.setLegalHold(document.id, !releasing, reason.trim());
      onClose(tr.t(releasing ? 'hold.released' : 'hold.placed', { title: document.title }));
    } catch (error) {
      setFailure(describeError(tr, error));
      setBusy(false);
    }
  };
  const heading = tr.t(releasing ? 'hold.releaseHeading' : 'hold.placeHeading', { title: document.title });
  return (
    <Modal label={heading} onClose={() => onClose()}>
      <form class="edit" onSubmit={save}>
        <h2>{heading}</h2>
        <label for="hold-reason">{tr.t('hold.reason')}</label>
        <textarea id="hold-reason" required minLength={3} maxLength={2000} value={reason} onInput={(event) => setReason((event.target as HTMLTextAreaElement).value)} />
        {failure !== null && <p class="error" role="alert">{failure}</p>}
        <div class="row">
          <button type="submit" disabled={busy}>
            {tr.t(releasing ? 'hold.releaseConfirm' : 'hold.place')}
          </button>
          <button type="button" class="secondary" onClick={() => onClose()}>
            {tr.t('action.cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
