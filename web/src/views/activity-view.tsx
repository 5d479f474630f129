import { useState } from 'preact/hooks';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, type AuditAction } from '../../../src/shared/audit-entry.js';
import type { AuditFilters } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';
import { actionName, auditText, outcomeName } from '../i18n/audit-catalogue.js';
import { AuditEntries, AuditPager } from './audit-entries.js';
import { useAuditPages, useDocumentTitles } from './use-audit-pages.js';

/** Actions on the whole instance: never in a building's trail. */
const INSTANCE_ACTIONS: readonly AuditAction[] = ['backup.restore', 'keys.rotate', 'keys.encrypt_existing', 'retention.policy_change', 'audit.read'];
const BUILDING_ACTIONS = AUDIT_ACTIONS.filter((action) => !INSTANCE_ACTIONS.includes(action));

interface Draft {
  action: string;
  actor: string;
  from: string;
  to: string;
  outcome: string;
}
const NO_FILTER: Draft = { action: '', actor: '', from: '', to: '', outcome: '' };

/** The day after `day` (YYYY-MM-DD): the API's `to` is exclusive, the form's “to” day is included. */
function dayAfter(day: string): string {
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

/**
 * A building's activity (syndics, superadmins, board members): its audit trail newest first, in
 * pages, filtered by action, actor, period and outcome; and its export for the period chosen, as
 * CSV or JSON Lines, fetched with the token and saved from a blob (no token in a URL). The API
 * decides what each role sees and records each export.
 */
export function ActivityView({ buildingId, organizationId }: { buildingId: string; organizationId: string | undefined }) {
  const { tr, api, me } = useConsole();
  const [draft, setDraft] = useState<Draft>(NO_FILTER);
  const [applied, setApplied] = useState<Draft>(NO_FILTER);
  const [notice, setNotice] = useState<{ say: Said; kind: 'status' | 'error' } | null>(null);
  const [exporting, setExporting] = useState(false);
  const organization = me.role === 'superadmin' && organizationId !== undefined && organizationId !== me.organizationId ? { organization: organizationId } : {};
  const period = { ...(applied.from === '' ? {} : { from: applied.from }), ...(applied.to === '' ? {} : { to: dayAfter(applied.to) }) };
  const filters: AuditFilters = { building: buildingId, ...organization, ...period, action: applied.action, actor: applied.actor.trim(), outcome: applied.outcome };
  const pages = useAuditPages(filters);
  const titles = useDocumentTitles(pages.items);

  const field = (name: keyof Draft) => ({
    name,
    value: draft[name],
    onInput: (event: Event) => setDraft({ ...draft, [name]: (event.target as HTMLInputElement | HTMLSelectElement).value }),
  });

  const exportAs = async (format: 'csv' | 'jsonl') => {
    setExporting(true);
    try {
      const file = await api.auditExport({ building: buildingId, ...organization, ...period }, format);
      const url = URL.createObjectURL(file.blob);
      Object.assign(document.createElement('a'), { href: url, download: file.fileName, rel: 'noopener' }).click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setNotice({ say: (now) => auditText(now, 'activity.exported', { file: file.fileName }), kind: 'status' });
    } catch (error) {
      setNotice({ say: failureOf(error), kind: 'error' });
    } finally {
      setExporting(false);
    }
  };

  return (
    <section class="activity" aria-labelledby="activity-heading">
      <h2 id="activity-heading">{auditText(tr, 'activity.heading')}</h2>
      <form class="filters" onSubmit={(event) => (event.preventDefault(), setApplied(draft))}>
        <label>
          {auditText(tr, 'activity.action')}
          <select {...field('action')}>
            <option value="">{auditText(tr, 'activity.anyAction')}</option>
            {BUILDING_ACTIONS.map((action) => (
              <option value={action} key={action}>
                {actionName(tr, action)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {auditText(tr, 'activity.actor')}
          <input type="text" autoComplete="off" {...field('actor')} />
        </label>
        <label>
          {auditText(tr, 'activity.from')}
          <input type="date" {...field('from')} />
        </label>
        <label>
          {auditText(tr, 'activity.to')}
          <input type="date" {...field('to')} />
        </label>
        <label>
          {auditText(tr, 'activity.outcome')}
          <select {...field('outcome')}>
            <option value="">{auditText(tr, 'activity.anyOutcome')}</option>
            {AUDIT_OUTCOMES.map((outcome) => (
              <option value={outcome} key={outcome}>
                {outcomeName(tr, outcome)}
              </option>
            ))}
          </select>
        </label>
        <div class="row">
          <button type="submit">{auditText(tr, 'activity.apply')}</button>
          <button type="button" class="secondary" onClick={() => (setDraft(NO_FILTER), setApplied(NO_FILTER))}>
            {auditText(tr, 'activity.reset')}
          </button>
        </div>
      </form>
      <div class="export" role="group" aria-label={auditText(tr, 'activity.export')}>
        <p class="hint">{auditText(tr, 'activity.exportHint')}</p>
        <div class="row">
          <button type="button" class="secondary" disabled={exporting} onClick={() => void exportAs('csv')}>
            {auditText(tr, 'activity.exportCsv')}
          </button>
          <button type="button" class="secondary" disabled={exporting} onClick={() => void exportAs('jsonl')}>
            {auditText(tr, 'activity.exportJsonl')}
          </button>
        </div>
      </div>
      <div class="notice" role={notice?.kind === 'error' ? 'alert' : 'status'} aria-live="polite">
        {notice !== null && <p class={notice.kind === 'error' ? 'error' : 'ok'}>{notice.say(tr)}</p>}
      </div>
      {me.role === 'board_member' && <p class="hint">{auditText(tr, 'scope.board_member')}</p>}
      <AuditEntries entries={pages.items} titles={titles} />
      <AuditPager pages={pages} empty={auditText(tr, 'activity.empty')} />
    </section>
  );
}
