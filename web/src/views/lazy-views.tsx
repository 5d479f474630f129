import { useConsole } from '../context.js';
import { lazyView } from '../lazy-view.js';

/** Where a view not fetched yet stands: loading, or the network error that stopped it. */
function Pending({ failed }: { failed: boolean }) {
  const { tr } = useConsole();
  return failed ? (
    <p class="error" role="alert">
      {tr.t('error.network')}
    </p>
  ) : (
    <p role="status">{tr.t('app.loading')}</p>
  );
}
const pending = (failed: boolean) => <Pending failed={failed} />;

// Views that only some roles or some moments need, each its own chunk (the entry bundle's budget: test/http/console-assets.test.ts).
export const UploadPanel = lazyView(() => import('./upload-panel.js').then((module) => module.UploadPanel), pending);
export const VersionsDialog = lazyView(() => import('./versions-dialog.js').then((module) => module.VersionsDialog), pending);
export const EditDialog = lazyView(() => import('./edit-dialog.js').then((module) => module.EditDialog), pending);
export const AdminView = lazyView(() => import('./admin-view.js').then((module) => module.AdminView), pending);
// The search panel (issue 21) and its catalogue: on the home page and each documents tab, fetched as they first show.
export const SearchPanel = lazyView(() => import('./search-panel.js').then((module) => module.SearchPanel), pending);
// A document's history and a building's activity (issue 17): the audit trail, read on demand.
export const HistoryDialog = lazyView(() => import('./history-dialog.js').then((module) => module.HistoryDialog), pending);
export const ActivityView = lazyView(() => import('./activity-view.js').then((module) => module.ActivityView), pending);
export const BuildingForm = lazyView(() => import('./building-form.js').then((module) => module.BuildingForm), pending);
