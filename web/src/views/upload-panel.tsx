import { useRef, useState } from 'preact/hooks';
import { ApiError, type DocumentType } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';
import { fileSha256, uploadResumable } from '../resumable-upload.js';
import { refusalBeforeUpload } from '../upload-check.js';
import { DocumentDateFields, datesToSend, today, type DateValues } from './document-dates.js';
import { TypeOptions } from './type-options.js';

interface Entry {
  key: number;
  file: File;
  title: string;
  type: DocumentType;
  /** Its date (today unless changed) and, for a contract, its end date: the retention counts from them. */
  dates: DateValues;
  /** `checking`: size and type being checked before anything is sent; `refused`: never sent (the API would refuse it). */
  state: 'checking' | 'ready' | 'refused' | 'hashing' | 'sending' | 'retrying' | 'paused' | 'processing' | 'done' | 'failed' | 'cancelled';
  /** Bytes hashed (`hashing`) or sent. */
  sent: number;
  /** Why it was refused or failed, said in the language on screen. */
  error?: Said;
  /** Pause, resume and cancel of the upload in flight. */
  controls?: { pause(): void; resume(): void; cancel(): void };
}

/** Files sent at once; the others wait their turn. */
const CONCURRENT_UPLOADS = 3;

/** States after which an entry is over (cleared by “Clear finished”). */
const FINISHED: ReadonlyArray<Entry['state']> = ['done', 'failed', 'cancelled', 'refused'];

/**
 * Drop or choose several files, give each a type and title (the file name by default), send them with
 * progress and cancel. Each file is checked first (size, type from its first bytes): one the API
 * would refuse is never sent, and says why at once.
 */
export function UploadPanel({ buildingId, uploadTypes, onUploaded }: { buildingId: string; uploadTypes: readonly DocumentType[]; onUploaded: () => void }) {
  const { tr, api, me } = useConsole();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [dragging, setDragging] = useState(false);
  /** The titles of the last run's uploads, once every file of it is over (they leave the queue). */
  const [finished, setFinished] = useState<string[] | null>(null);
  const nextKey = useRef(0);
  const input = useRef<HTMLInputElement>(null);
  const defaultType: DocumentType = uploadTypes.includes('other') ? 'other' : (uploadTypes[0] ?? 'other');

  const update = (key: number, change: Partial<Entry>) => setEntries((list) => list.map((entry) => (entry.key === key ? { ...entry, ...change } : entry)));
  const remove = (key: number) => setEntries((list) => list.filter((entry) => entry.key !== key));
  const add = (files: FileList | null) => {
    if (files === null) return;
    const added = [...files].map((file): Entry => ({ key: nextKey.current++, file, title: file.name, type: defaultType, dates: { documentDate: today(), contractEndDate: '' }, state: 'checking', sent: 0 }));
    setEntries((list) => [...list, ...added]);
    for (const entry of added) {
      refusalBeforeUpload(entry.file, me.limits).then(
        (refusal) => update(entry.key, refusal === undefined ? { state: 'ready' } : { state: 'refused', error: failureOf(refusal, me.limits) }),
        // The check could not read the file (removed from the disk meanwhile): let the API decide.
        () => update(entry.key, { state: 'ready' }),
      );
    }
  };

  /**
   * Sends one file; true once the API has stored it. Through tus (`resumable-upload.ts`) with the
   * file's SHA-256, computed here first (a contract's end date travels in the upload's metadata):
   * resumed when the connection comes back or after a reload.
   */
  const send = async (entry: Entry): Promise<boolean> => {
    const target = { buildingId, type: entry.type, title: entry.title.trim() || entry.file.name, ...datesToSend(entry.type, entry.dates) };
    const onProgress = (sent: number, total: number) => update(entry.key, { sent, state: sent >= total ? 'processing' : 'sending' });
    try {
      update(entry.key, { state: 'hashing', sent: 0 });
      const sha256 = await fileSha256(entry.file, (hashed) => update(entry.key, { sent: hashed }));
      const upload = uploadResumable(api.credentials, entry.file, target, sha256, { onProgress, onRetry: () => update(entry.key, { state: 'retrying' }) });
      update(entry.key, { state: 'sending', sent: 0, controls: { pause: upload.pause, resume: upload.resume, cancel: upload.cancel } });
      await upload.done;
      update(entry.key, { state: 'done', sent: entry.file.size });
      onUploaded();
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'aborted') update(entry.key, { state: 'cancelled' });
      else update(entry.key, { state: 'failed', error: failureOf(error, me.limits) });
      return false;
    }
  };
  const start = async () => {
    setFinished(null);
    const queue = entries.filter((entry) => entry.state === 'ready');
    const stored: Entry[] = [];
    const workers = Array.from({ length: Math.min(CONCURRENT_UPLOADS, queue.length) }, async () => {
      for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) if (await send(entry)) stored.push(entry);
    });
    await Promise.all(workers);
    // The panel resets: what arrived leaves the queue and is named once; failures stay with their reason.
    const keys = new Set(stored.map((entry) => entry.key));
    setEntries((list) => list.filter((entry) => !keys.has(entry.key)));
    setFinished(stored.map((entry) => entry.title.trim() || entry.file.name));
  };

  const ready = entries.filter((entry) => entry.state === 'ready').length;
  const percent = (entry: Entry) => new Intl.NumberFormat(tr.locale, { style: 'percent' }).format(entry.file.size === 0 ? 1 : entry.sent / entry.file.size);
  const stateText = (entry: Entry) =>
    entry.state === 'sending' || entry.state === 'hashing' || entry.state === 'paused' || entry.state === 'retrying'
      ? tr.t(`upload.${entry.state}`, { percent: percent(entry) })
      : entry.state === 'failed' || entry.state === 'refused'
        ? (entry.error?.(tr) ?? '')
        : tr.t(`upload.${entry.state === 'ready' ? 'waiting' : entry.state}`);

  return (
    <section id="upload-panel" class="card upload" aria-labelledby="upload-heading">
      <h2 id="upload-heading">{tr.t('upload.heading')}</h2>
      <div
        class={dragging ? 'dropzone dragging' : 'dropzone'}
        onDragOver={(event) => (event.preventDefault(), setDragging(true))}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          add(event.dataTransfer?.files ?? null);
        }}
      >
        <p>{tr.t('upload.drop')}</p>
        {/* A button (visible focus, Enter or Space) opens the file chooser of the hidden input. */}
        <button type="button" data-action="choose-files" onClick={() => input.current?.click()}>
          {tr.t('upload.choose')}
        </button>
        <input
          id="upload-files"
          ref={input}
          class="visually-hidden"
          type="file"
          multiple
          tabIndex={-1}
          aria-label={tr.t('upload.choose')}
          onChange={(event) => {
            add((event.target as HTMLInputElement).files);
            if (input.current !== null) input.current.value = '';
          }}
        />
        <p class="hint">{tr.t('upload.limit', { size: tr.size(me.limits.maxUploadBytes) })}</p>
      </div>
      {entries.length > 0 && (
        <ul class="queue">
          {entries.map((entry) => (
            <li key={entry.key} class={`upload-entry ${entry.state}`} data-file={entry.file.name}>
              <div class="row">
                <strong class="file">{entry.file.name}</strong>
                <span class="meta">{tr.size(entry.file.size)}</span>
              </div>
              {entry.state === 'ready' ? (
                <div class="row">
                  <label>
                    {tr.t('list.title')}
                    <input aria-label={tr.t('upload.fileTitle', { file: entry.file.name })} value={entry.title} required maxLength={255} onInput={(event) => update(entry.key, { title: (event.target as HTMLInputElement).value })} />
                  </label>
                  <label>
                    {tr.t('list.type')}
                    <select aria-label={tr.t('upload.fileType', { file: entry.file.name })} value={entry.type} onChange={(event) => update(entry.key, { type: (event.target as HTMLSelectElement).value as DocumentType })}>
                      <TypeOptions types={uploadTypes} />
                    </select>
                  </label>
                  <DocumentDateFields type={entry.type} values={entry.dates} file={entry.file.name} onChange={(change) => update(entry.key, { dates: { ...entry.dates, ...change } })} />
                  <button type="button" class="secondary" onClick={() => remove(entry.key)}>
                    {tr.t('upload.remove')}
                  </button>
                </div>
              ) : entry.state === 'checking' || entry.state === 'refused' ? (
                <div class="row">
                  <span class={entry.state === 'refused' ? 'state error' : 'state'} role={entry.state === 'refused' ? 'alert' : undefined}>
                    {stateText(entry)}
                  </span>
                  {entry.state === 'refused' && (
                    <button type="button" class="secondary" onClick={() => remove(entry.key)}>
                      {tr.t('upload.remove')}
                    </button>
                  )}
                </div>
              ) : (
                <div class="row">
                  <progress max={entry.file.size || 1} value={entry.state === 'done' ? entry.file.size || 1 : entry.sent} aria-label={tr.t('upload.progress', { file: entry.file.name })} />
                  <span class={entry.state === 'failed' ? 'state error' : 'state'} role={entry.state === 'failed' ? 'alert' : undefined}>
                    {stateText(entry)}
                  </span>
                  {(entry.state === 'sending' || entry.state === 'retrying') && entry.controls !== undefined && (
                    <button type="button" class="secondary" data-action="pause-upload" onClick={() => (entry.controls?.pause(), update(entry.key, { state: 'paused' }))}>
                      {tr.t('upload.pause')}
                    </button>
                  )}
                  {entry.state === 'paused' && (
                    <button type="button" class="secondary" data-action="resume-upload" onClick={() => (entry.controls?.resume(), update(entry.key, { state: 'sending' }))}>
                      {tr.t('upload.resume')}
                    </button>
                  )}
                  {(entry.state === 'sending' || entry.state === 'retrying' || entry.state === 'paused' || entry.state === 'processing') && entry.controls !== undefined && (
                    <button type="button" class="secondary" onClick={() => entry.controls?.cancel()}>
                      {tr.t('upload.cancel')}
                    </button>
                  )}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {finished !== null && finished.length > 0 && (
        <p class="ok" role="status">
          {tr.t('upload.finished', { titles: finished.join(', ') })}
        </p>
      )}
      <div class="row">
        {ready > 0 && (
          <button type="button" data-action="start-upload" onClick={() => void start()}>
            {tr.t('upload.start', { count: ready })}
          </button>
        )}
        {entries.some((entry) => FINISHED.includes(entry.state)) && (
          <button type="button" class="secondary" onClick={() => setEntries((list) => list.filter((entry) => !FINISHED.includes(entry.state)))}>
            {tr.t('upload.clear')}
          </button>
        )}
      </div>
    </section>
  );
}
