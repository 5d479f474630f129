import type { DocumentType } from '../api.js';
import { useConsole } from '../context.js';

/** Today in the browser's time zone (`YYYY-MM-DD`): what a document is dated when nobody says otherwise. */
export function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

export interface DateValues {
  documentDate: string;
  /** Empty: no end date (the retention then counts from the upload). */
  contractEndDate: string;
}

/** What the API is sent: the end date only for a contract (empty clears it). */
export function datesToSend(type: DocumentType, values: DateValues): { documentDate: string; contractEndDate?: string | null } {
  return type === 'contract' ? { documentDate: values.documentDate, contractEndDate: values.contractEndDate === '' ? null : values.contractEndDate } : { documentDate: values.documentDate };
}

/**
 * The dates a document's retention counts from: its date (required), and a contract's end date.
 * `file` names the upload the fields belong to (several uploads share one panel).
 */
export function DocumentDateFields({ type, values, file, onChange }: { type: DocumentType; values: DateValues; file?: string; onChange: (change: Partial<DateValues>) => void }) {
  const { tr } = useConsole();
  return (
    <>
      <label>
        {tr.t('list.documentDate')}
        <input
          type="date"
          name="documentDate"
          required
          value={values.documentDate}
          aria-label={file === undefined ? undefined : tr.t('upload.fileDate', { file })}
          onInput={(event) => onChange({ documentDate: (event.target as HTMLInputElement).value })}
        />
      </label>
      {type === 'contract' && (
        <label>
          {tr.t('dates.contractEnd')}
          <input
            type="date"
            name="contractEndDate"
            value={values.contractEndDate}
            aria-label={file === undefined ? undefined : tr.t('upload.fileContractEnd', { file })}
            onInput={(event) => onChange({ contractEndDate: (event.target as HTMLInputElement).value })}
          />
        </label>
      )}
    </>
  );
}
