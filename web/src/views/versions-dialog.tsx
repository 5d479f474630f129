import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Document, DocumentVersion } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';
import { fileSha256, uploadResumable } from '../resumable-upload.js';
import { refusalBeforeUpload } from '../upload-check.js';
import { HeadedModal } from './document-dialogs.js';

interface Notice {
  say: Said;
  kind: 'status' | 'error';
}

/**
 * A document's versions, newest first (number, date, size, uploader, file), each downloadable; for
 * those who may upload the document's type, a form that adds a new version (checked against the
 * limits before sending, as an upload is).
 */
export function VersionsDialog({ document, canUpload, onChanged, onClose }: { document: Document; canUpload: boolean; onChanged: () => void; onClose: () => void }) {
  const { tr, api, me } = useConsole();
  const [versions, setVersions] = useState<DocumentVersion[] | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [sending, setSending] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    try {
      setVersions(await api.versions(document.id));
    } catch (error) {
      setNotice({ say: failureOf(error), kind: 'error' });
    }
  }, [api, document.id]);
  useEffect(() => void load(), [load]);

  const download = async (version: DocumentVersion) => {
    try {
      const { url } = await api.versionLink(document.id, version.version, 'attachment');
      const anchor = Object.assign(window.document.createElement('a'), { href: url, download: version.fileName, rel: 'noopener' });
      anchor.click();
      setNotice({ say: (now) => now.t('download.started', { file: version.fileName }), kind: 'status' });
    } catch (error) {
      setNotice({ say: failureOf(error), kind: 'error' });
    }
  };

  const upload = async (event: Event) => {
    event.preventDefault();
    const file = fileInput.current?.files?.[0];
    if (file === undefined) return;
    const refusal = await refusalBeforeUpload(file, me.limits);
    if (refusal !== undefined) {
      setNotice({ say: failureOf(refusal, me.limits), kind: 'error' });
      return;
    }
    setNotice(null);
    const percent = new Intl.NumberFormat(tr.locale, { style: 'percent' });
    const share = (done: number) => percent.format(file.size === 0 ? 1 : done / file.size);
    setSending(tr.t('upload.hashing', { percent: share(0) }));
    try {
      // Through tus, as the upload panel's files: resumed by itself when the connection comes back.
      const sha256 = await fileSha256(file, (hashed) => setSending(tr.t('upload.hashing', { percent: share(hashed) })));
      let sentSoFar = 0;
      const added = await uploadResumable(api.credentials, file, { documentId: document.id }, sha256, {
        onProgress: (sent) => setSending(tr.t('upload.sending', { percent: share((sentSoFar = sent)) })),
        onRetry: () => setSending(tr.t('upload.retrying', { percent: share(sentSoFar) })),
      }).done;
      setNotice({ say: (now) => now.t('versions.uploaded', { version: added.version }), kind: 'status' });
      if (fileInput.current !== null) fileInput.current.value = '';
      await load();
      onChanged();
    } catch (error) {
      setNotice({ say: failureOf(error, me.limits), kind: 'error' });
    } finally {
      setSending(null);
    }
  };

  const heading = tr.t('versions.heading', { title: document.title });
  return (
    <HeadedModal heading={heading} onClose={onClose}>
      <div class="notice" role={notice?.kind === 'error' ? 'alert' : 'status'} aria-live="polite">
        {notice !== null && <p class={notice.kind === 'error' ? 'error' : 'ok'}>{notice.say(tr)}</p>}
      </div>
      {versions === null ? (
        notice === null && <p role="status">{tr.t('app.loading')}</p>
      ) : (
        <table class="documents versions">
          <thead>
            <tr>
              <th scope="col">{tr.t('versions.number')}</th>
              <th scope="col">{tr.t('list.date')}</th>
              <th scope="col" class="num">
                {tr.t('list.size')}
              </th>
              <th scope="col">{tr.t('versions.uploadedBy')}</th>
              <th scope="col">{tr.t('list.file')}</th>
              <th scope="col">{tr.t('list.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((version, index) => (
              <tr key={version.version} data-version={version.version}>
                <th scope="row">
                  {version.version}
                  {index === 0 && <span class="badge"> ({tr.t('versions.current')})</span>}
                </th>
                <td>{tr.date(version.createdAt)}</td>
                <td class="num">{tr.size(version.size)}</td>
                <td class="mono">{version.uploadedBy}</td>
                <td class="file">{version.fileName}</td>
                <td class="actions">
                  <button type="button" class="secondary" data-action="download-version" aria-label={tr.t('versions.downloadOf', { version: version.version })} onClick={() => void download(version)}>
                    {tr.t('action.download')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canUpload && (
        <form class="edit version-upload" onSubmit={upload}>
          <h3>{tr.t('versions.upload')}</h3>
          <p class="hint">{tr.t('versions.hint')}</p>
          <label for="version-file">{tr.t('versions.file')}</label>
          <input id="version-file" type="file" ref={fileInput} required disabled={sending !== null} />
          <div class="row">
            <button type="submit" disabled={sending !== null}>
              {tr.t('versions.upload')}
            </button>
            {sending !== null && <span role="status">{sending}</span>}
          </div>
        </form>
      )}
    </HeadedModal>
  );
}
