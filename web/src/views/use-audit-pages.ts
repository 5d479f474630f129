import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { AuditEntry, AuditFilters, Document } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';

/** The pages of `GET /api/v1/audit` read so far for `filters`, and a way to read the next one. */
export interface AuditPages {
  items: AuditEntry[];
  loading: boolean;
  failure: Said | null;
  /** Whether the API has more entries after `items`. */
  more: boolean;
  loadMore(): void;
  reload(): void;
}

/** Reads the first page again whenever `filters` change (by value); an answer to older filters is dropped. */
export function useAuditPages(filters: AuditFilters): AuditPages {
  const { api } = useConsole();
  const key = JSON.stringify(filters);
  const [items, setItems] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [failure, setFailure] = useState<Said | null>(null);
  const generation = useRef(0);

  const load = useCallback(
    async (after: string | null) => {
      const mine = ++generation.current;
      setLoading(true);
      try {
        const page = await api.audit(JSON.parse(key) as AuditFilters, after);
        if (mine !== generation.current) return;
        setItems((previous) => (after === null ? page.items : [...previous, ...page.items]));
        setCursor(page.nextCursor);
        setFailure(null);
      } catch (error) {
        if (mine !== generation.current) return;
        if (after === null) (setItems([]), setCursor(null));
        setFailure(() => failureOf(error));
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    [api, key],
  );
  useEffect(() => void load(null), [load]);

  return { items, loading, failure, more: cursor !== null, loadMore: () => void load(cursor), reload: () => void load(null) };
}

/**
 * The titles of the documents `entries` name, read once each (`GET /api/v1/documents/:id`, not a
 * read of the content: nothing is recorded). A document purged since, or not readable, keeps no
 * title: the entry then names it by its id, which is what the trail holds.
 */
export function useDocumentTitles(entries: readonly AuditEntry[]): ReadonlyMap<string, string> {
  const { api } = useConsole();
  const [titles, setTitles] = useState<ReadonlyMap<string, string>>(new Map());
  const asked = useRef(new Set<string>());
  useEffect(() => {
    let live = true;
    const wanted = [...new Set(entries.map((entry) => entry.documentId).filter((id): id is string => id !== null && !asked.current.has(id)))];
    for (const id of wanted) {
      asked.current.add(id);
      api.request<Document>('GET', `/api/v1/documents/${encodeURIComponent(id)}`).then(
        (document) => live && setTitles((known) => new Map(known).set(id, document.title)),
        // Purged or out of view: shown by its id.
        () => undefined,
      );
    }
    return () => {
      live = false;
    };
  }, [api, entries]);
  return titles;
}
