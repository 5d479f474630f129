import { useState } from 'preact/hooks';
import type { Document, DocumentType } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';
import { Modal } from './document-dialogs.js';
import { DocumentDateFields, datesToSend, type DateValues } from './document-dates.js';
import { TypeOptions } from './type-options.js';

/** Title, type and the dates the retention counts from; the types offered are those the role may file. */
export function EditDialog({ document, types, onClose }: { document: Document; types: readonly DocumentType[]; onClose: (saved?: Document) => void }) {
  const { tr, api } = useConsole();
  const [title, setTitle] = useState(document.title);
  const [type, setType] = useState<DocumentType>(document.type);
  const [dates, setDates] = useState<DateValues>({ documentDate: document.documentDate, contractEndDate: document.contractEndDate ?? '' });
  const [failure, setFailure] = useState<Said | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      onClose(await api.update(document.id, { title: title.trim(), type, ...datesToSend(type, dates) }));
    } catch (error) {
      setFailure(() => failureOf(error));
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
        {failure !== null && <p class="error" role="alert">{failure(tr)}</p>}
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
