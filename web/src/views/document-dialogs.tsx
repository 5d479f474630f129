import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Document } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';

/** Kinds of file the browser shows by itself (TIFF and office files are downloaded instead). */
export function isPreviewable(mimeType: string): boolean {
  return mimeType === 'application/pdf' || ['image/png', 'image/jpeg', 'image/webp', 'image/gif'].includes(mimeType);
}

/** A modal <dialog>: focus stays inside, Escape closes, focus returns to the opener. */
export function Modal({ label, onClose, children }: { label: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    dialog?.showModal();
    return () => {
      dialog?.close();
      opener?.focus();
      // Removing the dialog from the page can move the focus again (to <body>): give it back once it is gone.
      requestAnimationFrame(() => {
        const lost = document.activeElement === null || document.activeElement === document.body;
        if (lost && opener?.isConnected === true) opener.focus();
      });
    };
  }, []);
  return (
    <dialog ref={ref} aria-label={label} onClose={onClose} onCancel={(event) => (event.preventDefault(), onClose())}>
      {children}
    </dialog>
  );
}

/** A modal whose head is its heading and a Close button (versions, history). */
export function HeadedModal({ heading, onClose, children }: { heading: string; onClose: () => void; children: ComponentChildren }) {
  const { tr } = useConsole();
  return (
    <Modal label={heading} onClose={onClose}>
      <div class="dialog-head">
        <h2>{heading}</h2>
        <button type="button" onClick={onClose}>
          {tr.t('action.close')}
        </button>
      </div>
      {children}
    </Modal>
  );
}

/**
 * The document's bytes fetched with the token, shown from a blob: URL (PDF in a frame, images). A
 * blob: URL has no file name, so the PDF viewer's own toolbar (which would show and save the blob's
 * UUID) is hidden: the dialog names the file and downloads it under its name.
 */
export function PreviewDialog({ document, onDownload, onClose }: { document: Document; onDownload: () => void; onClose: () => void }) {
  const { tr, api } = useConsole();
  const [url, setUrl] = useState<string | null>(null);
  const [failure, setFailure] = useState<Said | null>(null);
  useEffect(() => {
    let made: string | undefined;
    let live = true;
    api.content(document.id).then(
      (blob) => {
        if (!live) return;
        made = URL.createObjectURL(blob.type === document.mimeType ? blob : new Blob([blob], { type: document.mimeType }));
        setUrl(made);
      },
      (error: unknown) => live && setFailure(() => failureOf(error)),
    );
    return () => {
      live = false;
      if (made !== undefined) URL.revokeObjectURL(made);
    };
  }, [document.id]);
  const title = tr.t('action.previewOf', { title: document.title });
  return (
    <Modal label={title} onClose={onClose}>
      <div class="dialog-head">
        <h2>
          {title}
          <span class="meta file">{document.fileName}</span>
        </h2>
        <div class="action-row">
          <button type="button" class="secondary" data-action="download" aria-label={tr.t('action.downloadOf', { file: document.fileName })} onClick={onDownload}>
            {tr.t('action.download')}
          </button>
          <button type="button" onClick={onClose}>
            {tr.t('action.close')}
          </button>
        </div>
      </div>
      {failure !== null && <p class="error" role="alert">{failure(tr)}</p>}
      {url === null && failure === null && <p role="status">{tr.t('app.loading')}</p>}
      {url !== null &&
        (document.mimeType === 'application/pdf' ? (
          <iframe class="preview" src={`${url}#toolbar=0&navpanes=0`} title={`${title} (${document.fileName})`} />
        ) : (
          <img class="preview" src={url} alt={document.title} />
        ))}
    </Modal>
  );
}
