import type { Document } from '../api.js';
import { useConsole } from '../context.js';
import type { Translator } from '../i18n/index.js';
import { DocumentActions, type DocumentAction } from './document-actions.js';
import { RetentionCell, formatDay } from './legal-hold.js';

/** What a list of documents needs from the view that holds it. */
export interface DocumentListProps {
  items: readonly Document[];
  /** The trash: when each was deleted and when it goes for good, instead of its dates and retention. */
  trash: boolean;
  /** A document's actions, the primary ones first (see `inline`). */
  actionsOf: (document: Document) => DocumentAction[];
  /** How many of a document's actions show as buttons; the others are in its “More” menu. */
  inline: (document: Document) => number;
}

/**
 * When the purge removes a document from the trash: `DOCSTORE_TRASH_DAYS` after its deletion, or
 * later when its retention ends later; never while a legal hold or permanent retention keeps it.
 */
export function purgeText(tr: Translator, document: Document, trashDays: number): string {
  if (document.legalHold.active) return tr.t('trash.purgeHeld');
  if (document.retention.permanent) return tr.t('trash.purgePermanent');
  const deletedAt = new Date(document.deletedAt ?? document.updatedAt);
  const purge = new Date(deletedAt.getTime() + trashDays * 86_400_000).toISOString().slice(0, 10);
  const until = document.retention.retainUntil;
  return tr.t('trash.purgeOn', { date: formatDay(tr, until !== null && until > purge ? until : purge) });
}

/** Desktop: one row per document, the primary actions inline and the rest in a menu. */
export function DocumentTable({ items, trash, actionsOf, inline }: DocumentListProps) {
  const { tr, me } = useConsole();
  return (
    <table class="documents">
      <thead>
        <tr>
          <th scope="col">{tr.t('list.title')}</th>
          <th scope="col">{tr.t('list.type')}</th>
          <th scope="col">{tr.t('list.file')}</th>
          <th scope="col" class="num">
            {tr.t('list.size')}
          </th>
          <th scope="col">{trash ? tr.t('list.deleted') : tr.t('list.date')}</th>
          <th scope="col">{trash ? tr.t('list.purge') : tr.t('list.documentDate')}</th>
          {!trash && <th scope="col">{tr.t('list.retention')}</th>}
          <th scope="col">{tr.t('list.actions')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((document) => (
          <tr key={document.id} data-document-id={document.id}>
            <th scope="row">{document.title}</th>
            <td>{tr.t(`type.${document.type}`)}</td>
            <td class="file">{document.fileName}</td>
            <td class="num">{tr.size(document.size)}</td>
            <td>{tr.date(trash ? (document.deletedAt ?? document.updatedAt) : document.createdAt)}</td>
            {trash ? (
              <td class="purge">{purgeText(tr, document, me.limits.trashDays)}</td>
            ) : (
              <>
                <td>{formatDay(tr, document.documentDate)}</td>
                <td class="retention">
                  <RetentionCell document={document} />
                </td>
              </>
            )}
            <td class="actions-cell">
              <DocumentActions documentId={document.id} title={document.title} actions={actionsOf(document)} inline={inline(document)} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Phones and narrow windows: one card per document (title, type, date, size), one primary action, the rest in a menu. */
export function DocumentCards({ items, trash, actionsOf, inline }: DocumentListProps) {
  const { tr, me } = useConsole();
  return (
    <ul class="document-cards">
      {items.map((document) => (
        <li key={document.id} class="document-card" data-document-id={document.id}>
          <h2 class="title">{document.title}</h2>
          <p class="meta">
            {tr.t(`type.${document.type}`)} · {formatDay(tr, document.documentDate)} · {tr.size(document.size)}
          </p>
          {trash ? (
            <p class="meta">
              {tr.t('list.field', { label: tr.t('list.deleted') })} {tr.date(document.deletedAt ?? document.updatedAt)} · {tr.t('list.field', { label: tr.t('list.purge') })}{' '}
              <span class="purge">{purgeText(tr, document, me.limits.trashDays)}</span>
            </p>
          ) : (
            <p class="meta retention">
              {tr.t('list.field', { label: tr.t('list.retention') })} <RetentionCell document={document} />
            </p>
          )}
          <DocumentActions documentId={document.id} title={document.title} actions={actionsOf(document)} inline={inline(document)} />
        </li>
      ))}
    </ul>
  );
}
