import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { buildingPermissions } from '../../../src/shared/building-permissions.js';
import { ApiError, DOCUMENT_TYPES, type BuildingSummary, type Document, type LegalHold } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';
import { hrefOf, type BuildingTab } from '../route.js';
import { CARDS_QUERY, useMediaQuery } from '../use-media-query.js';
import { BuildingHeader } from './building-header.js';
import type { DocumentAction } from './document-actions.js';
import { PreviewDialog, isPreviewable } from './document-dialogs.js';
import { DocumentCards, DocumentTable } from './document-list.js';
import { BuildingHoldPanel, LegalHoldDialog, activeBuildingHold, deleteBlockedReason } from './legal-hold.js';
import { NoticeArea, type Notice } from './notice-area.js';
import { ReaderView } from './reader-view.js';
import { ActivityView, EditDialog, HistoryDialog, SearchPanel, UploadPanel, VersionsDialog } from './lazy-views.js';
import { TypeOptions } from './type-options.js';

/**
 * One building: its documents (filter by type, search, pages over the cursor) or its trash, for
 * those who manage documents; the reader's view (grouped, downloads only) for those who only read.
 * Document dialogs (preview, versions, history, edit, hold) open from here; the building's activity
 * (its audit trail) is a tab of its own for those whose view of the trail covers the building.
 */
export function BuildingView({ buildingId, tab, summary }: { buildingId: string; tab: BuildingTab; summary: BuildingSummary | undefined }) {
  const { tr, api, me, refreshBuildings } = useConsole();
  // A building nobody stored anything in yet is in no listing: the server's own rules, bundled.
  const permissions = summary?.permissions ?? buildingPermissions(me, buildingId);
  const knownBuilding = summary !== undefined;
  // Owners and board members (and any role that may only read) get the reader's view.
  const readOnly = !permissions.upload && !permissions.edit && !permissions.delete;
  const trash = tab === 'trash' && permissions.trash;
  // The API shows a building's whole trail, and exports it, to syndics, superadmins and board members (docs/audit.md).
  const mayReadActivity = me.role === 'syndic' || me.role === 'superadmin' || me.role === 'board_member';
  const activity = tab === 'activity' && mayReadActivity;
  const cards = useMediaQuery(CARDS_QUERY);
  const [type, setType] = useState('');
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  const [items, setItems] = useState<Document[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadFailure, setLoadFailure] = useState<Said | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [uploading, setUploading] = useState(false);
  const [preview, setPreview] = useState<Document | null>(null);
  const [editing, setEditing] = useState<Document | null>(null);
  const [versionsOf, setVersionsOf] = useState<Document | null>(null);
  const [historyOf, setHistoryOf] = useState<Document | null>(null);
  const [holding, setHolding] = useState<Document | null>(null);
  // Syndics and superadmins place and release legal holds (the API's rule).
  const canHold = me.role === 'syndic' || me.role === 'superadmin';
  // The building's holds and its documents' (only syndics and superadmins may read them).
  const [holds, setHolds] = useState<LegalHold[]>([]);
  const buildingHold = activeBuildingHold(holds);
  const generation = useRef(0);

  // Typing settles for a quarter second before searching.
  useEffect(() => {
    const timer = setTimeout(() => setSearch(query.trim()), 250);
    return () => clearTimeout(timer);
  }, [query]);

  const load = useCallback(
    async (after: string | null) => {
      if (readOnly || activity) return;
      const mine = ++generation.current;
      setLoading(true);
      try {
        const page = await api.documents(buildingId, { type, q: search, trash, ...(after === null ? {} : { cursor: after }) });
        if (mine !== generation.current) return;
        setItems((previous) => (after === null ? page.items : [...previous, ...page.items]));
        setCursor(page.nextCursor);
        setLoadFailure(null);
      } catch (error) {
        if (mine !== generation.current) return;
        if (after === null) (setItems([]), setCursor(null));
        // A building nobody stored anything in yet is unknown to the API: it simply has no documents.
        const unknownBuilding = error instanceof ApiError && error.code === 'documents.not_found' && !knownBuilding;
        setLoadFailure(unknownBuilding ? null : () => failureOf(error));
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    [api, buildingId, type, search, trash, knownBuilding, readOnly, activity],
  );
  useEffect(() => void load(null), [load]);

  const loadHolds = useCallback(async () => {
    if (!canHold || !knownBuilding) return setHolds([]);
    try {
      setHolds(await api.buildingHolds(buildingId));
    } catch (error) {
      setNotice({ say: failureOf(error), kind: 'error' });
    }
  }, [api, buildingId, canHold, knownBuilding]);
  useEffect(() => void loadHolds(), [loadHolds]);

  /** Runs an action on one document; its outcome or its failure is said naming the document. */
  const act = async (document: Document, work: () => Promise<Omit<Notice, 'kind'>>) => {
    try {
      setNotice({ ...(await work()), kind: 'status' });
    } catch (error) {
      setNotice({ say: (now) => now.t('notice.about', { title: document.title, message: failureOf(error)(now) }), kind: 'error' });
    }
  };
  const changed = () => {
    refreshBuildings();
    void load(null);
    void loadHolds();
  };

  const download = (document: Document) =>
    act(document, async () => {
      const { url } = await api.link(document.id, 'attachment', 300);
      const anchor = Object.assign(window.document.createElement('a'), { href: url, download: document.fileName, rel: 'noopener' });
      anchor.click();
      return { say: (now) => now.t('download.started', { file: document.fileName }) };
    });
  const copyLink = (document: Document) =>
    act(document, async () => {
      const { url, expiresAt } = await api.link(document.id, 'attachment', 3600);
      const copied = await navigator.clipboard.writeText(url).then(
        () => true,
        // No clipboard permission: the link is shown to copy by hand.
        () => false,
      );
      return { say: (now) => now.t(copied ? 'link.copied' : 'link.shown', { title: document.title, time: now.date(expiresAt) }), link: url };
    });
  const restore = (document: Document, undoing = false) =>
    act(document, async () => {
      await api.restore(document.id);
      changed();
      return { say: (now) => now.t(undoing ? 'deleted.undone' : 'restored.done', { title: document.title }) };
    });
  // Delete moves to the trash at once and offers to undo it (the trash keeps it meanwhile).
  const remove = (document: Document) =>
    act(document, async () => {
      await api.remove(document.id);
      changed();
      return { say: (now) => now.t('deleted.done', { title: document.title }), undo: () => void restore(document, true) };
    });

  const canEdit = (document: Document) => permissions.edit && permissions.uploadTypes.includes(document.type);
  // Who may upload a document's type may add a version of it (the API's rule).
  const canAddVersion = (document: Document) => permissions.upload && permissions.uploadTypes.includes(document.type);

  /** A document's actions, the primary one first: download, then preview (inline on wide screens). */
  const actionsOf = (document: Document): DocumentAction[] => {
    if (trash) return permissions.restore ? [{ id: 'restore', label: tr.t('action.restore'), kind: 'primary', run: () => void restore(document) }] : [];
    const actions: DocumentAction[] = [{ id: 'download', label: tr.t('action.download'), name: tr.t('action.downloadOf', { file: document.title }), kind: 'primary', run: () => void download(document) }];
    if (isPreviewable(document.mimeType)) actions.push({ id: 'preview', label: tr.t('action.preview'), run: () => setPreview(document) });
    actions.push({ id: 'copy-link', label: tr.t('action.copyLink'), run: () => void copyLink(document) });
    actions.push({ id: 'versions', label: tr.t('action.versions'), run: () => setVersionsOf(document) });
    // Every role reads some of the trail (the API decides which entries: docs/audit.md).
    actions.push({ id: 'history', label: tr.t('action.history'), run: () => setHistoryOf(document) });
    if (canEdit(document)) actions.push({ id: 'edit', label: tr.t('action.edit'), run: () => setEditing(document) });
    if (canHold && document.legalHold.scope !== 'building') {
      actions.push({ id: 'legal-hold', label: tr.t(document.legalHold.scope === 'document' ? 'action.release' : 'action.hold'), run: () => setHolding(document) });
    }
    if (permissions.delete) actions.push({ id: 'delete', label: tr.t('action.delete'), kind: 'danger', blocked: deleteBlockedReason(tr, document, buildingHold), run: () => void remove(document) });
    return actions;
  };
  const inline = (document: Document) => (trash || cards ? 1 : isPreviewable(document.mimeType) ? 2 : 1);
  const List = cards ? DocumentCards : DocumentTable;

  return (
    <section aria-labelledby="building-heading" class="building">
      {summary !== undefined && <BuildingHeader building={summary} />}
      {!trash && !activity && <SearchPanel buildingId={buildingId} />}
      {canHold && knownBuilding && !activity && (
        <BuildingHoldPanel
          buildingId={buildingId}
          holds={holds}
          titleOf={(id) => items.find((document) => document.id === id)?.title ?? id}
          onChanged={(done) => {
            setNotice({ say: done, kind: 'status' });
            changed();
          }}
        />
      )}
      {(!readOnly || mayReadActivity) && (
        <div class="tabs">
          <a href={hrefOf({ view: 'building', buildingId, tab: 'documents' })} aria-current={trash || activity ? undefined : 'page'}>
            {tr.t('building.documents')}
          </a>
          {permissions.trash && (
            <a href={hrefOf({ view: 'building', buildingId, tab: 'trash' })} aria-current={trash ? 'page' : undefined}>
              {summary === undefined ? tr.t('building.trash') : tr.t('building.trashCount', { count: summary.trash.count })}
            </a>
          )}
          {mayReadActivity && (
            <a href={hrefOf({ view: 'building', buildingId, tab: 'activity' })} aria-current={activity ? 'page' : undefined}>
              {tr.t('building.activity')}
            </a>
          )}
          {!trash && !activity && permissions.upload && (
            <button type="button" class="upload-toggle" aria-expanded={uploading} aria-controls="upload-panel" onClick={() => setUploading(!uploading)}>
              {tr.t('upload.open')}
            </button>
          )}
        </div>
      )}
      {activity ? (
        <ActivityView buildingId={buildingId} organizationId={summary?.organizationId} />
      ) : readOnly ? (
        <>
          <NoticeArea notice={notice} onDismiss={() => setNotice(null)} />
          <ReaderView buildingId={buildingId} actionsOf={actionsOf} inline={inline} />
        </>
      ) : (
        <>
          {uploading && !trash && <UploadPanel buildingId={buildingId} uploadTypes={permissions.uploadTypes} onUploaded={changed} />}
          {trash && <p class="hint">{tr.t('trash.explain', { days: tr.number(me.limits.trashDays) })}</p>}
          <form class="filters" role="search" onSubmit={(event) => (event.preventDefault(), setSearch(query.trim()))}>
            <label>
              {tr.t('filter.search')}
              <input type="search" name="q" value={query} onInput={(event) => setQuery((event.target as HTMLInputElement).value)} />
            </label>
            <label>
              {tr.t('filter.type')}
              <select name="type" value={type} onChange={(event) => setType((event.target as HTMLSelectElement).value)}>
                <option value="">{tr.t('filter.allTypes')}</option>
                <TypeOptions types={DOCUMENT_TYPES} />
              </select>
            </label>
          </form>
          {loadFailure !== null && (
            <p class="error" role="alert">
              {loadFailure(tr)}{' '}
              <button type="button" class="secondary" onClick={() => void load(null)}>
                {tr.t('app.retry')}
              </button>
            </p>
          )}
          <NoticeArea notice={notice} onDismiss={() => setNotice(null)} />
          {items.length === 0 && !loading ? <p class="hint">{trash ? tr.t('list.emptyTrash') : tr.t('list.empty')}</p> : <List items={items} trash={trash} actionsOf={actionsOf} inline={inline} />}
          <p class="pager">
            {loading ? <span role="status">{tr.t('app.loading')}</span> : <span>{tr.t('list.count', { count: tr.number(items.length) })}</span>}
            {cursor !== null && !loading && (
              <button type="button" class="secondary" onClick={() => void load(cursor)}>
                {tr.t('list.more')}
              </button>
            )}
          </p>
        </>
      )}
      {preview !== null && <PreviewDialog document={preview} onDownload={() => void download(preview)} onClose={() => setPreview(null)} />}
      {holding !== null && (
        <LegalHoldDialog
          document={holding}
          onClose={(done) => {
            setHolding(null);
            if (done !== undefined) {
              setNotice({ say: done, kind: 'status' });
              changed();
            }
          }}
        />
      )}
      {historyOf !== null && <HistoryDialog document={historyOf} onClose={() => setHistoryOf(null)} />}
      {versionsOf !== null && <VersionsDialog document={versionsOf} canUpload={canAddVersion(versionsOf)} onChanged={changed} onClose={() => setVersionsOf(null)} />}
      {editing !== null && (
        <EditDialog
          document={editing}
          types={permissions.uploadTypes}
          onClose={(saved) => {
            setEditing(null);
            if (saved !== undefined) {
              setNotice({ say: (now) => now.t('saved.done', { title: saved.title }), kind: 'status' });
              changed();
            }
          }}
        />
      )}
    </section>
  );
}
