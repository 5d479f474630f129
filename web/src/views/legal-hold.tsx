import { useState } from 'preact/hooks';
import type { Document, LegalHold } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';
import type { Translator } from '../i18n/index.js';
import { Modal } from './document-dialogs.js';

/** A calendar date (`YYYY-MM-DD`, no time) in the console's language. */
export function formatDay(tr: Translator, day: string): string {
  return new Intl.DateTimeFormat(tr.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
}

/**
 * Why the document cannot be deleted today (legal hold first, then retention), or null;
 * `buildingHold`: the building's active hold, when the caller may read it (its reason is named).
 */
export function deleteBlockedReason(tr: Translator, document: Document, buildingHold?: LegalHold): string | null {
  if (document.legalHold.scope === 'building' && buildingHold !== undefined) return tr.t('retention.deleteBlockedBuildingHold', { reason: buildingHold.reason });
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

/**
 * The reason for placing or releasing a hold (required either way, kept with it), and the buttons;
 * `onSubmit` does the request: its failure is shown in the form.
 */
function HoldReasonForm({ id, submitLabel, heading, onSubmit, onCancel }: { id: string; submitLabel: string; heading?: string; onSubmit: (reason: string) => Promise<void>; onCancel: () => void }) {
  const { tr } = useConsole();
  const [reason, setReason] = useState('');
  const [failure, setFailure] = useState<Said | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await onSubmit(reason.trim());
    } catch (error) {
      setFailure(() => failureOf(error));
      setBusy(false);
    }
  };
  return (
    <form class="edit" onSubmit={save}>
      {heading !== undefined && <h2>{heading}</h2>}
      <label for={id}>{tr.t('hold.reason')}</label>
      <textarea id={id} required minLength={3} maxLength={2000} value={reason} onInput={(event) => setReason((event.target as HTMLTextAreaElement).value)} />
      {failure !== null && <p class="error" role="alert">{failure(tr)}</p>}
      <div class="row">
        <button type="submit" disabled={busy}>
          {submitLabel}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          {tr.t('action.cancel')}
        </button>
      </div>
    </form>
  );
}

/** Places or releases a legal hold on one document; the reason is required either way and kept. */
export function LegalHoldDialog({ document, onClose }: { document: Document; onClose: (changed?: Said) => void }) {
  const { tr, api } = useConsole();
  const releasing = document.legalHold.scope === 'document';
  const heading = tr.t(releasing ? 'hold.releaseHeading' : 'hold.placeHeading', { title: document.title });
  return (
    <Modal label={heading} onClose={() => onClose()}>
      <HoldReasonForm
        id="hold-reason"
        heading={heading}
        submitLabel={tr.t(releasing ? 'hold.releaseConfirm' : 'hold.place')}
        onCancel={() => onClose()}
        onSubmit={async (reason) => {
          await api.setLegalHold(document.id, !releasing, reason);
          onClose((now) => now.t(releasing ? 'hold.released' : 'hold.placed', { title: document.title }));
        }}
      />
    </Modal>
  );
}

/** The building's active hold (not one of its documents'), if any. */
export function activeBuildingHold(holds: readonly LegalHold[]): LegalHold | undefined {
  return holds.find((hold) => hold.documentId === null && hold.releasedAt === null);
}

/**
 * For syndics and superadmins: whether the whole building is held and why, a form to place or release
 * that hold (a reason each way), and every hold of the building and its documents, newest first.
 */
export function BuildingHoldPanel({ buildingId, holds, titleOf, onChanged }: { buildingId: string; holds: readonly LegalHold[]; titleOf: (documentId: string) => string; onChanged: (done: Said) => void }) {
  const { tr, api } = useConsole();
  const active = activeBuildingHold(holds);
  const [open, setOpen] = useState(false);
  return (
    <section class="card building-hold" aria-labelledby="building-hold-heading" data-building-held={active === undefined ? 'false' : 'true'}>
      <h2 id="building-hold-heading">{tr.t('buildingHold.heading')}</h2>
      <p class={active === undefined ? 'hint' : 'held'}>
        {active === undefined ? tr.t('buildingHold.none') : tr.t('buildingHold.active', { date: tr.date(active.placedAt), reason: active.reason })}
      </p>
      {open ? (
        <HoldReasonForm
          id="building-hold-reason"
          submitLabel={tr.t(active === undefined ? 'hold.place' : 'hold.releaseConfirm')}
          onCancel={() => setOpen(false)}
          onSubmit={async (reason) => {
            await api.setBuildingHold(buildingId, active === undefined, reason);
            setOpen(false);
            const placed = active === undefined;
            onChanged((now) => now.t(placed ? 'buildingHold.placed' : 'buildingHold.released'));
          }}
        />
      ) : (
        <button type="button" class="secondary" onClick={() => setOpen(true)}>
          {tr.t(active === undefined ? 'buildingHold.place' : 'buildingHold.release')}
        </button>
      )}
      {holds.length > 0 && (
        <table class="holds">
          <caption>{tr.t('buildingHold.history')}</caption>
          <thead>
            <tr>
              <th scope="col">{tr.t('buildingHold.scope')}</th>
              <th scope="col">{tr.t('buildingHold.placedCol')}</th>
              <th scope="col">{tr.t('buildingHold.releasedCol')}</th>
            </tr>
          </thead>
          <tbody>
            {holds.map((hold) => (
              <tr key={hold.id} data-hold-id={hold.id} data-active={hold.releasedAt === null ? 'true' : 'false'}>
                <th scope="row">{hold.documentId === null ? tr.t('buildingHold.wholeBuilding') : titleOf(hold.documentId)}</th>
                <td>{tr.t('buildingHold.event', { date: tr.date(hold.placedAt), by: hold.placedBy, reason: hold.reason })}</td>
                <td>
                  {hold.releasedAt === null
                    ? tr.t('buildingHold.stillActive')
                    : tr.t('buildingHold.event', { date: tr.date(hold.releasedAt), by: hold.releasedBy ?? '', reason: hold.releaseReason ?? '' })}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
