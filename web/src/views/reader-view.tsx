import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, type Document, type DocumentType } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';
import type { Translator } from '../i18n/index.js';
import { DocumentActions, type DocumentAction } from './document-actions.js';
import { formatDay } from './legal-hold.js';

/** The order co-owners look for things in: decisions and accounts first. */
const READER_ORDER: readonly DocumentType[] = ['meeting_minutes', 'financial_statement', 'regulation', 'basic_deed', 'works_quote', 'contract', 'invoice', 'owner_document', 'other'];

interface Period {
  /** Empty: the type is not divided by period. */
  label: string;
  items: Document[];
}

/** Minutes by the year they bear, accounts by the financial year they close, others in one list. */
function periodOf(tr: Translator, document: Document): string {
  if (document.type === 'meeting_minutes') return document.documentDate.slice(0, 4);
  if (document.type !== 'financial_statement') return '';
  const close = document.retention.financialYearClose ?? document.documentDate;
  const to = Number(close.slice(0, 4));
  return close.slice(5) === '12-31' ? String(to) : tr.t('owner.financialYear', { from: String(to - 1), to: String(to) });
}

const newestFirst = (a: Document, b: Document) => b.documentDate.localeCompare(a.documentDate) || b.createdAt.localeCompare(a.createdAt);
/** Lower case without accents: “procès” is found by “proces”. */
const folded = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/**
 * What an owner or a board member opens: every document of the building grouped by type, newest
 * first (minutes by year, accounts by financial year), a search box over titles and file names,
 * and a download on each (the other actions they may take in its menu). Nothing they may not do is shown.
 */
export function ReaderView({ buildingId, actionsOf, inline }: { buildingId: string; actionsOf: (document: Document) => DocumentAction[]; inline: (document: Document) => number }) {
  const { tr, api } = useConsole();
  const [all, setAll] = useState<Document[] | null>(null);
  const [failure, setFailure] = useState<Said | null>(null);
  const [query, setQuery] = useState('');
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    (async () => {
      const found: Document[] = [];
      let cursor: string | null = null;
      do {
        const page = await api.documents(buildingId, { limit: 200, ...(cursor === null ? {} : { cursor }) });
        found.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null && live);
      return found;
    })().then(
      (found) => live && (setAll(found), setFailure(null)),
      (error: unknown) => {
        if (!live) return;
        // A building nobody stored anything in yet is unknown to the documents API: it has none.
        if (error instanceof ApiError && error.code === 'documents.not_found') return setAll([]);
        setFailure(() => failureOf(error));
      },
    );
    return () => {
      live = false;
    };
  }, [api, buildingId, attempt]);

  const groups = useMemo(() => {
    const wanted = folded(query.trim());
    const matching = (all ?? []).filter((document) => wanted === '' || folded(`${document.title} ${document.fileName}`).includes(wanted));
    return READER_ORDER.map((type) => {
      const items = matching.filter((document) => document.type === type).sort(newestFirst);
      const periods: Period[] = [];
      for (const document of items) {
        const label = periodOf(tr, document);
        const last = periods[periods.length - 1];
        if (last?.label === label) last.items.push(document);
        else periods.push({ label, items: [document] });
      }
      return { type, count: items.length, periods };
    }).filter((group) => group.count > 0);
  }, [all, query, tr]);

  return (
    <div class="reader-view">
      <p class="hint">{tr.t('owner.intro')}</p>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label>
          {tr.t('filter.search')}
          <input type="search" name="q" value={query} onInput={(event) => setQuery((event.target as HTMLInputElement).value)} />
        </label>
      </form>
      {failure !== null && (
        <p class="error" role="alert">
          {failure(tr)}{' '}
          <button type="button" class="secondary" onClick={() => setAttempt(attempt + 1)}>
            {tr.t('app.retry')}
          </button>
        </p>
      )}
      {all === null && failure === null && <p role="status">{tr.t('app.loading')}</p>}
      {all !== null && groups.length === 0 && <p class="hint">{all.length === 0 ? tr.t('list.empty') : tr.t('owner.none')}</p>}
      {groups.map((group) => (
        <section key={group.type} class="reader-group" aria-labelledby={`group-${group.type}`} data-type={group.type}>
          <h2 id={`group-${group.type}`}>
            {tr.t(`type.${group.type}`)} <span class="meta">({tr.t('owner.count', { count: tr.number(group.count) })})</span>
          </h2>
          {group.periods.map((period) => (
            <div key={period.label} class="reader-period" data-period={period.label}>
              {period.label !== '' && <h3>{period.label}</h3>}
              <ul class="reader-list">
                {period.items.map((document) => (
                  <li key={document.id} data-document-id={document.id}>
                    <div class="what">
                      <span class="title">{document.title}</span>
                      <span class="meta">
                        {formatDay(tr, document.documentDate)} · {tr.size(document.size)}
                      </span>
                    </div>
                    <DocumentActions documentId={document.id} title={document.title} actions={actionsOf(document)} inline={inline(document)} />
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </section>
      ))}
    </div>
  );
}
