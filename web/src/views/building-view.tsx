import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { buildingPermissions } from '../../../src/shared/building-permissions.js';
import { ApiError, DOCUMENT_TYPES, type BuildingSummary, type Document, type LegalHold, type Me } from '../api.js';
import { useConsole } from '../context.js';
import { describeError } from '../errors.js';
import { hrefOf } from '../route.js';
import { BuildingHeader } from './building-header.js';
import { EditDialog, PreviewDialog, isPreviewable } from './document-dialogs.js';
import { TypeOptions } from './type-options.js';
import { UploadPanel } from './upload-panel.js';
import { VersionsDialog } from './versions-dialog.js';
import { BuildingHoldPanel, LegalHoldDialog, RetentionCell, activeBuildingHold, deleteBlockedReason, formatDay } from './legal-hold.js';

interface Notice {
  text: string;
  kind: 'status' | 'error';
  link?: string;
}

/** One building: documents (filter by type, search, pages over the cursor) or its trash. */
export function BuildingView({ buildingId, tab, summary }: { buildingId: string; tab: 'documents' | 'trash'; summary: BuildingSummary | undefined }) {
  const { tr, api, me, refreshBuildings } = useConsole();
  // A building nobody stored anything in yet is in no listing: the server's own rules, bundled.
  const permissions = summary?.permissions ?? buildingPermissions(me, buildingId);
  const knownBuilding = summary !== undefined;
  const trash = tab === 'trash';
  const [type, setType] = useState('');
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  const [items, setItems] = useState<Document[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadFailure, setLoadFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [uploading, setUploading] = useState(false);
  const [preview, setPreview] = useState<Document | null>(null);
  const [editing, setEditing] = useState<Document | null>(null);
  const [versionsOf, setVersionsOf] = useState<Document | null>(null);
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

  // Notices are sentences in the language they were written in: a language switch clears them.
  useEffect(() => setNotice(null), [tr]);

  const load = useCallback(
    async (after: string | null) => {
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
        setLoadFailure(unknownBuilding ? null : describeError(tr, error));
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    [api, buildingId, type, search, trash, tr, knownBuilding],
  );
  useEffect(() => void load(null), [load]);

  const loadHolds = useCallback(async () => {
    if (!canHold || !knownBuilding) return setHolds([]);
    try {
      setHolds(await api.buildingHolds(buildingId));
    } catch (error) {
      setNotice({ text: describeError(tr, error), kind: 'error' });
    }
  }, [api, buildingId, canHold, knownBuilding, tr]);
  useEffect(() => void loadHolds(), [loadHolds]);

  const act = async (work: () => Promise<string>) => {
    try {
      setNotice({ text: await work(), kind: 'status' });
    } catch (error) {
      setNotice({ text: describeError(tr, error), kind: 'error' });
    }
  };
  const changed = () => {
    refreshBuildings();
    void load(null);
    void loadHolds();
  };

  const download = (document: Document) =>
    act(async () => {
      const { url } = await api.link(document.id, 'attachment', 300);
      const anchor = Object.assign(window.document.createElement('a'), { href: url, download: document.fileName, rel: 'noopener' });
      anchor.click();
      return `${tr.t('action.download')}: ${document.fileName}`;
    });
  const copyLink = async (document: Document) => {
    try {
      const { url, expiresAt } = await api.link(document.id, 'attachment', 3600);
      const time = tr.date(expiresAt);
      try {
        await navigator.clipboard.writeText(url);
        setNotice({ text: tr.t('link.copied', { time }), kind: 'status', link: url });
      } catch {
        // No clipboard permission: the link is shown to copy by hand.
        setNotice({ text: tr.t('link.shown', { time }), kind: 'status', link: url });
      }
    } catch (error) {
      setNotice({ text: describeError(tr, error), kind: 'error' });
    }
  };
  const remove = (document: Document) =>
    act(async () => {
      await api.remove(document.id);
      changed();
      return tr.t('deleted.done', { title: document.title });
    });
  const restore = (document: Document) =>
    act(async () => {
      await api.restore(document.id);
      changed();
      return tr.t('restored.done', { title: document.title });
    });

  const canEdit = (document: Document) => permissions.edit && permissions.uploadTypes.includes(document.type);
  // Who may upload a document's type may add a version of it (the API's rule).
  const canAddVersion = (document: Document) => permissions.upload && permissions.uploadTypes.includes(document.type);

  return (
    <section aria-labelledby="building-heading">
      {summary !== undefined && <BuildingHeader building={summary} />}
      {canHold && knownBuilding && (
        <BuildingHoldPanel
          buildingId={buildingId}
          holds={holds}
          titleOf={(id) => items.find((document) => document.id === id)?.title ?? id}
          onChanged={(done) => {
            setNotice({ text: done, kind: 'status' });
            changed();
          }}
        />
      )}
      <div class="tabs">
        <a href={hrefOf({ view: 'building', buildingId, tab: 'documents' })} aria-current={trash ? undefined : 'page'}>
          {tr.t('building.documents')}
        </a>
        {permissions.trash && (
          <a href={hrefOf({ view: 'building', buildingId, tab: 'trash' })} aria-current={trash ? 'page' : undefined}>
            {summary === undefined ? tr.t('building.trash') : tr.t('building.trashCount', { count: summary.trash.count })}
          </a>
        )}
        {!trash && permissions.upload && (
          <button type="button" class="upload-toggle" aria-expanded={uploading} aria-controls="upload-panel" onClick={() => setUploading(!uploading)}>
            {tr.t('upload.open')}
          </button>
        )}
      </div>
      {uploading && !trash && (
        <UploadPanel buildingId={buildingId} uploadTypes={permissions.uploadTypes} onUploaded={changed} />
      )}
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
          {loadFailure}{' '}
          <button type="button" class="secondary" onClick={() => void load(null)}>
            {tr.t('app.retry')}
          </button>
        </p>
      )}
      <div class="notice" role={notice?.kind === 'error' ? 'alert' : 'status'} aria-live="polite">
        {notice !== null && (
          <p class={notice.kind === 'error' ? 'error' : 'ok'}>
            {notice.text}
            {notice.link !== undefined && <input class="link mono" readOnly value={notice.link} aria-label={tr.t('action.copyLink')} onFocus={(event) => (event.target as HTMLInputElement).select()} />}
          </p>
        )}
      </div>
      {items.length === 0 && !loading ? (
        <p class="hint">{trash ? tr.t('list.emptyTrash') : tr.t('list.empty')}</p>
      ) : (
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
              <th scope="col">{tr.t('list.documentDate')}</th>
              <th scope="col">{tr.t('list.retention')}</th>
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
                <td>{formatDay(tr, document.documentDate)}</td>
                <td class="retention">
                  <RetentionCell document={document} />
                </td>
                <td class="actions">
                  {trash ? (
                    permissions.restore && (
                      <button type="button" data-action="restore" onClick={() => restore(document)}>
                        {tr.t('action.restore')}
                      </button>
                    )
                  ) : (
                    <>
                      {isPreviewable(document.mimeType) && (
                        <button type="button" class="secondary" data-action="preview" onClick={() => setPreview(document)}>
                          {tr.t('action.preview')}
                        </button>
                      )}
                      <button type="button" class="secondary" data-action="download" onClick={() => download(document)}>
                        {tr.t('action.download')}
                      </button>
                      <button type="button" class="secondary" data-action="copy-link" onClick={() => copyLink(document)}>
                        {tr.t('action.copyLink')}
                      </button>
                      <button type="button" class="secondary" data-action="versions" onClick={() => setVersionsOf(document)}>
                        {tr.t('action.versions')}
                      </button>
                      {canEdit(document) && (
                        <button type="button" class="secondary" data-action="edit" onClick={() => setEditing(document)}>
                          {tr.t('action.edit')}
                        </button>
                      )}
                      {canHold && document.legalHold.scope !== 'building' && (
                        <button type="button" class="secondary" data-action="legal-hold" onClick={() => setHolding(document)}>
                          {tr.t(document.legalHold.scope === 'document' ? 'action.release' : 'action.hold')}
                        </button>
                      )}
                      {permissions.delete && <DeleteButton document={document} buildingHold={buildingHold} onDelete={() => remove(document)} />}
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="pager">
        {loading ? <span role="status">{tr.t('app.loading')}</span> : <span>{tr.t('list.count', { count: tr.number(items.length) })}</span>}
        {cursor !== null && !loading && (
          <button type="button" class="secondary" onClick={() => void load(cursor)}>
            {tr.t('list.more')}
          </button>
        )}
      </p>
      {preview !== null && <PreviewDialog document={preview} onClose={() => setPreview(null)} />}
      {holding !== null && (
        <LegalHoldDialog
          document={holding}
          onClose={(done) => {
            setHolding(null);
            if (done !== undefined) {
              setNotice({ text: done, kind: 'status' });
              changed();
            }
          }}
        />
      )}
      {versionsOf !== null && <VersionsDialog document={versionsOf} canUpload={canAddVersion(versionsOf)} onChanged={changed} onClose={() => setVersionsOf(null)} />}
      {editing !== null && (
        <EditDialog
          document={editing}
          types={permissions.uploadTypes}
          onClose={(saved) => {
            setEditing(null);
            if (saved !== undefined) {
              setNotice({ text: tr.t('saved.done', { title: saved.title }), kind: 'status' });
              changed();
            }
          }}
        />
      )}
    </section>
  );
}

/** Delete, or — while the law or a hold keeps the document — a disabled button with the reason beside it. */
function DeleteButton({ document, buildingHold, onDelete }: { document: Document; buildingHold: LegalHold | undefined; onDelete: () => void }) {
  const { tr } = useConsole();
  const blocked = deleteBlockedReason(tr, document, buildingHold);
  if (blocked === null) {
    return (
      <button type="button" class="danger" data-action="delete" onClick={onDelete}>
        {tr.t('action.delete')}
      </button>
    );
  }
  const reasonId = `delete-blocked-${document.id}`;
  return (
    <>
      <button type="button" class="danger" data-action="delete" disabled aria-describedby={reasonId} title={blocked}>
        {tr.t('action.delete')}
      </button>
      <span id={reasonId} class="hint blocked">
        {blocked}
      </span>
    </>
  );
}
