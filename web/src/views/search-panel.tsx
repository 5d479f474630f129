import { useEffect, useState } from 'preact/hooks';
import { DOCUMENT_TYPES, type Document } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';
import { searchText } from '../i18n/search-catalogue.js';
import { hrefOf } from '../route.js';

/** A part of a snippet: `match` parts are the words the query found. */
interface SnippetPart {
  text: string;
  match: boolean;
}

interface SearchPage {
  items: Array<{ document: Document; snippet: SnippetPart[] }>;
  total: number;
  /** More matches than `total` (the API counts up to 1,000). */
  totalCapped: boolean;
  nextCursor: string | null;
}

interface ExtractedText {
  text: string | null;
  status: string | null;
  error: string | null;
}

/**
 * Search inside documents (GET /api/v1/search): across the caller's buildings, or within one
 * (`buildingId`). Filters by type and year; each result with its snippet, the matched words
 * highlighted (`<mark>`, from the API's parts: never HTML from a document), and its extracted text
 * on demand. The API decides what the caller may see; the panel only shows it.
 */
export function SearchPanel({ buildingId }: { buildingId?: string }) {
  const { tr, api } = useConsole();
  const [query, setQuery] = useState('');
  const [type, setType] = useState('');
  const [year, setYear] = useState('');
  const [page, setPage] = useState<SearchPage | null>(null);
  const [failure, setFailure] = useState<Said | null>(null);
  const [busy, setBusy] = useState(false);
  const [ocrOff, setOcrOff] = useState(false);
  const [shown, setShown] = useState<{ document: Document; text: ExtractedText | null } | null>(null);
  const id = buildingId === undefined ? 'search-all' : `search-${buildingId}`;

  useEffect(() => {
    api.request<{ index: string; ocr: string }>('GET', '/api/v1/search/status').then(
      (status) => setOcrOff(status.index === 'on' && status.ocr === 'off'),
      () => setOcrOff(false),
    );
  }, [api]);

  const run = (cursor: string | null) => {
    const q = query.trim();
    if (q === '') return;
    const params = new URLSearchParams({ q, limit: '20' });
    if (buildingId !== undefined) params.set('building', buildingId);
    if (type !== '') params.set('type', type);
    if (year !== '') (params.set('from', `${year}-01-01`), params.set('to', `${year}-12-31`));
    if (cursor !== null) params.set('cursor', cursor);
    setBusy(true);
    api.request<SearchPage>('GET', `/api/v1/search?${params}`).then(
      (next) => (setPage((current) => (cursor === null || current === null ? next : { ...next, items: [...current.items, ...next.items] })), setFailure(null), setBusy(false)),
      (error: unknown) => (setFailure(() => failureOf(error)), setBusy(false)),
    );
  };

  const showText = (document: Document) => {
    setShown({ document, text: null });
    api.request<ExtractedText>('GET', `/api/v1/documents/${document.id}/text`).then(
      (text) => setShown((current) => (current?.document.id === document.id ? { document, text } : current)),
      (error: unknown) => (setFailure(() => failureOf(error)), setShown(null)),
    );
  };

  const thisYear = new Date().getFullYear();
  const years = Array.from({ length: 30 }, (_, index) => String(thisYear - index));
  return (
    <section class="search-panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{searchText(tr, buildingId === undefined ? 'heading' : 'headingBuilding')}</h2>
      <form class="filters" role="search" onSubmit={(event) => (event.preventDefault(), run(null))}>
        <label>
          {searchText(tr, 'query')}
          <input type="search" name="search-q" value={query} aria-describedby={`${id}-hint`} onInput={(event) => setQuery((event.target as HTMLInputElement).value)} />
        </label>
        <label>
          {searchText(tr, 'type')}
          <select name="search-type" value={type} onChange={(event) => setType((event.target as HTMLSelectElement).value)}>
            <option value="">{searchText(tr, 'anyType')}</option>
            {DOCUMENT_TYPES.map((value) => (
              <option value={value} key={value}>
                {tr.t(`type.${value}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {searchText(tr, 'year')}
          <select name="search-year" value={year} onChange={(event) => setYear((event.target as HTMLSelectElement).value)}>
            <option value="">{searchText(tr, 'anyYear')}</option>
            {years.map((value) => (
              <option value={value} key={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy}>
          {searchText(tr, 'submit')}
        </button>
      </form>
      <p class="hint" id={`${id}-hint`}>
        {searchText(tr, 'hint')}
        {ocrOff && ` ${searchText(tr, 'ocrOff')}`}
      </p>
      {failure !== null && (
        <p class="error" role="alert">
          {failure(tr)}
        </p>
      )}
      {page !== null && (
        <>
          <p role="status">{page.total === 0 ? searchText(tr, 'none') : searchText(tr, 'results', { count: `${tr.number(page.total)}${page.totalCapped ? '+' : ''}` })}</p>
          <ol class="search-results">
            {page.items.map(({ document, snippet }) => (
              <li key={document.id}>
                <a href={hrefOf({ view: 'building', buildingId: document.buildingId, tab: 'documents' })} title={searchText(tr, 'open')}>
                  {document.title}
                </a>{' '}
                <span class="meta">
                  {tr.t(`type.${document.type}`)} · {document.documentDate} · {document.fileName}
                </span>
                <p class="snippet">{snippet.map((part, index) => (part.match ? <mark key={index}>{part.text}</mark> : part.text))}</p>
                <button type="button" class="secondary" onClick={() => showText(document)} aria-expanded={shown?.document.id === document.id}>
                  {searchText(tr, 'showText')}
                </button>
              </li>
            ))}
          </ol>
          {page.nextCursor !== null && (
            <button type="button" class="secondary" disabled={busy} onClick={() => run(page.nextCursor)}>
              {searchText(tr, 'more')}
            </button>
          )}
        </>
      )}
      {shown !== null && (
        <section class="extracted-text" aria-labelledby={`${id}-text-heading`}>
          <h3 id={`${id}-text-heading`}>{searchText(tr, 'textOf', { title: shown.document.title })}</h3>
          {shown.text === null ? (
            <p role="status">{tr.t('app.loading')}</p>
          ) : shown.text.text === null ? (
            <p>{searchText(tr, 'noText', { status: shown.text.error ?? shown.text.status ?? '—' })}</p>
          ) : (
            <pre>{shown.text.text}</pre>
          )}
          <button type="button" class="secondary" onClick={() => setShown(null)}>
            {searchText(tr, 'hideText')}
          </button>
        </section>
      )}
    </section>
  );
}
