import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Document, DocumentType } from '../api.js';
import { useConsole } from '../context.js';
import { describeError } from '../errors.js';
import { DocumentDateFields, datesToSend, type DateValues } from './document-dates.js';
import { TypeOptions } from './type-options.js';

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

/** The document's bytes fetched with the token, shown from a blob: URL (PDF in a frame, images). */
export function PreviewDialog({ document, onClose }: { document: Document; onClose: () => void }) {
  const { tr, api } = useConsole();
  const [url, setUrl] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    let made: string | undefined;
    let live = true;
    api.content(document.id).then(
      (blob) => {
        if (!live) return;
        made = URL.createObjectURL(blob.type === document.mimeType ? blob : new Blob([blob], { type: document.mimeType }));
        setUrl(made);
      },
      (error: unknown) => live && setFailure(describeError(tr, error)),
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
        <h2>{title}</h2>
        <button type="button" onClick={onClose}>
          {tr.t('action.close')}
        </button>
      </div>
      {failure !== null && <p class="error" role="alert">{failure}</p>}
      {url === null && failure === null && <p role="status">{tr.t('app.loading')}</p>}
      {url !== null &&
        (document.mimeType === 'application/pdf' ? (
          <iframe class="preview" src={url} title={title} />
        ) : (
          <img class="preview" src={url} alt={document.title} />
        ))}
    </Modal>
  );
}

/** Title, type and the dates the retention counts from; the types offered are those the role may file. */
export function EditDialog({ document, types, onClose }: { document: Document; types: readonly DocumentType[]; onClose: (saved?: Document) => void }) {
  const { tr, api } = useConsole();
  const [title, setTitle] = useState(document.title);
  const [type, setType] = useState<DocumentType>(document.type);
  const [dates, setDates] = useState<DateValues>({ documentDate: document.documentDate, contractEndDate: document.contractEndDate ?? '' });
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      onClose(await api.update(document.id, { title: title.trim(), type, ...datesToSend(type, dates) }));
    } catch (error) {
      setFailure(describeError(tr, error));
      setBusy(false);
    }
  };
  const heading = tr.t('action.editOf', { title: document.title });
  return (
    <Modal label={heading} onClose={() => onClose()}>
      <form class="edit" onSubmit={save}>
        <h2>{heading}</h2>
        <label for="edit-title">{tr.t('list.title')}</label>
        <input id="edit-title" required maxLength={255} value={title} onInput={(event) => setTitle((event.target as HTMLInputElement).value)} />
        <label for="edit-type">{tr.t('list.type')}</label>
        <select id="edit-type" value={type} onChange={(event) => setType((event.target as HTMLSelectElement).value as DocumentType)}>
          <TypeOptions types={types} />
        </select>
        <DocumentDateFields type={type} values={dates} onChange={(change) => setDates({ ...dates, ...change })} />
        {failure !== null && <p class="error" role="alert">{failure}</p>}
        <div class="row">
          <button type="submit" disabled={busy}>
            {tr.t('action.save')}
          </button>
          <button type="button" class="secondary" onClick={() => onClose()}>
            {tr.t('action.cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
