import type { AuditEntry } from '../api.js';
import { useConsole } from '../context.js';
import { actionName, auditText, fieldName, outcomeName } from '../i18n/audit-catalogue.js';
import type { Translator } from '../i18n/index.js';
import type { AuditPages } from './use-audit-pages.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A recorded value in words: a type by its name, a day in the locale, an address on one line. */
function valueText(tr: Translator, field: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return auditText(tr, 'entry.emptyValue');
  if (typeof value === 'string') {
    const typeKey = `type.${value}`;
    if (field === 'type' && tr.has(typeKey)) return tr.t(typeKey);
    if (DAY.test(value)) return new Intl.DateTimeFormat(tr.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${value}T00:00:00Z`));
    return value;
  }
  if (typeof value === 'number') return tr.number(value);
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.month === 'number' && typeof record.day === 'number') return new Intl.DateTimeFormat(tr.locale, { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(Date.UTC(2001, record.month - 1, record.day));
    const parts = Object.values(record).filter((part) => part !== null && part !== '').map((part) => (typeof part === 'object' ? JSON.stringify(part) : String(part)));
    return parts.length === 0 ? auditText(tr, 'entry.emptyValue') : parts.join(', ');
  }
  return String(value);
}

/** Who acted, in words: a user with its role, an operator, a job, a link's bearer. */
function actorText(tr: Translator, actor: AuditEntry['actor']): string {
  const name = actor.subject ?? auditText(tr, 'entry.unknown');
  switch (actor.kind) {
    case 'link':
      return auditText(tr, 'entry.link');
    case 'system':
      return auditText(tr, 'entry.system', { name });
    case 'cli':
      return auditText(tr, 'entry.operator', { name });
    case 'user': {
      const roleKey = `role.${actor.role ?? ''}`;
      return tr.has(roleKey) ? auditText(tr, 'entry.actorRole', { actor: name, role: tr.t(roleKey) }) : name;
    }
  }
}

/** What the entry's details say that a reader needs: each change old → new, the range read, a reason, a file. */
function detailLines(tr: Translator, entry: AuditEntry): string[] {
  const details = entry.details ?? {};
  const lines: string[] = [];
  const changes = details.changes;
  if (typeof changes === 'object' && changes !== null) {
    for (const [field, change] of Object.entries(changes as Record<string, { from?: unknown; to?: unknown }>)) {
      lines.push(auditText(tr, 'entry.change', { field: fieldName(tr, field), from: valueText(tr, field, change.from), to: valueText(tr, field, change.to) }));
    }
  }
  const status = details.status as { from?: unknown; to?: unknown } | undefined;
  if (typeof status === 'object' && status !== null && 'to' in status) lines.push(auditText(tr, 'entry.change', { field: fieldName(tr, 'status'), from: valueText(tr, 'status', status.from), to: valueText(tr, 'status', status.to) }));
  const range = details.range as { start?: number; end?: number } | undefined;
  if (typeof range?.start === 'number' && typeof range.end === 'number') lines.push(auditText(tr, 'entry.range', { start: tr.number(range.start), end: tr.number(range.end) }));
  if (entry.action === 'document.upload' && typeof details.fileName === 'string') lines.push(auditText(tr, 'entry.file', { file: details.fileName }));
  if (typeof details.reason === 'string' && details.reason !== '') {
    // A refusal's reason is an error code the console may know (retention, hold); a hold's, the words given.
    const errorKey = `error.${details.reason}`;
    lines.push(auditText(tr, 'entry.reason', { reason: tr.has(errorKey) ? tr.t(errorKey, { detail: '' }) : details.reason }));
  }
  return lines;
}

/**
 * Audit entries as the API gave them, newest first, as cards at every width (no table to scroll
 * sideways): what, outcome, when, who, version, the changes old → new and the range read; the
 * document (in a building's activity: its title from `titles`, else its id) and where the request came from when the caller's view has it.
 */
export function AuditEntries({ entries, titles }: { entries: AuditEntry[]; titles?: ReadonlyMap<string, string> }) {
  const { tr } = useConsole();
  return (
    <ol class="audit-entries" aria-label={auditText(tr, 'entry.list')}>
      {entries.map((entry) => (
        <li key={entry.id} class="card audit-entry" data-action={entry.action} data-outcome={entry.outcome} data-actor={entry.actor.subject ?? ''}>
          <p class="audit-head">
            <strong>{actionName(tr, entry.action)}</strong>
            {entry.outcome !== 'success' && <span class={`badge ${entry.outcome}`}>{outcomeName(tr, entry.outcome)}</span>}
            <time dateTime={entry.at}>{tr.date(entry.at)}</time>
          </p>
          <p>{auditText(tr, 'entry.by', { actor: actorText(tr, entry.actor) })}</p>
          <ul class="audit-details">
            {entry.version !== null && <li>{auditText(tr, 'entry.version', { version: entry.version })}</li>}
            {titles !== undefined && entry.documentId !== null && (
              <li class={titles.has(entry.documentId) ? undefined : 'mono'} data-document-id={entry.documentId}>
                {auditText(tr, 'entry.document', { id: titles.get(entry.documentId) ?? entry.documentId })}
              </li>
            )}
            {detailLines(tr, entry).map((line) => (
              <li>{line}</li>
            ))}
            {entry.clientAddress !== null && <li class="mono">{auditText(tr, 'entry.origin', { address: entry.clientAddress })}</li>}
          </ul>
        </li>
      ))}
    </ol>
  );
}

/** Under a list of entries: how many are shown, the next page, or why the last read failed. */
export function AuditPager({ pages, empty }: { pages: AuditPages; empty: string }) {
  const { tr } = useConsole();
  return (
    <>
      {pages.failure !== null && (
        <p class="error" role="alert">
          {pages.failure(tr)}{' '}
          <button type="button" class="secondary" onClick={pages.reload}>
            {tr.t('app.retry')}
          </button>
        </p>
      )}
      {pages.items.length === 0 && !pages.loading && pages.failure === null && <p class="hint">{empty}</p>}
      <p class="pager">
        {pages.loading ? <span role="status">{tr.t('app.loading')}</span> : <span>{auditText(tr, 'entry.count', { count: tr.number(pages.items.length) })}</span>}
        {pages.more && !pages.loading && (
          <button type="button" class="secondary" onClick={pages.loadMore}>
            {auditText(tr, 'entry.more')}
          </button>
        )}
      </p>
    </>
  );
}
