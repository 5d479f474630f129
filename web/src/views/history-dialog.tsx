import type { Document } from '../api.js';
import { useConsole } from '../context.js';
import { auditText } from '../i18n/audit-catalogue.js';
import { AuditEntries, AuditPager } from './audit-entries.js';
import { HeadedModal } from './document-dialogs.js';
import { useAuditPages } from './use-audit-pages.js';

/**
 * A document's history (`GET /api/v1/audit?document=`), newest first, in pages: who did what, when,
 * with which outcome, on which version, what changed. Each role sees what the API's view of the
 * trail gives it (docs/audit.md): an owner the changes and its own reads, a board member no
 * addresses; the dialog says so to those whose view is partial.
 */
export function HistoryDialog({ document, onClose }: { document: Document; onClose: () => void }) {
  const { tr, me } = useConsole();
  // A superadmin reads another organisation's trail by naming it.
  const organization = me.role === 'superadmin' && document.organizationId !== me.organizationId ? { organization: document.organizationId } : {};
  const pages = useAuditPages({ document: document.id, ...organization });
  const heading = auditText(tr, 'history.heading', { title: document.title });
  const scope = me.role === 'owner' || me.role === 'accountant' || me.role === 'board_member' ? auditText(tr, `scope.${me.role}`) : null;
  return (
    <HeadedModal heading={heading} onClose={onClose}>
      {scope !== null && <p class="hint">{scope}</p>}
      <AuditEntries entries={pages.items} />
      <AuditPager pages={pages} empty={auditText(tr, 'history.empty')} />
    </HeadedModal>
  );
}
