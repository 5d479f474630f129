import { useEffect, useState } from 'preact/hooks';
import type { Overview } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';

/** Superadmins: the storage backend, health, and counts and bytes by type. */
export function AdminView() {
  const { tr, api } = useConsole();
  const [overview, setOverview] = useState<Overview | null>(null);
  const [failure, setFailure] = useState<Said | null>(null);
  const load = () => {
    setFailure(null);
    api.overview().then(setOverview, (error: unknown) => setFailure(() => failureOf(error)));
  };
  useEffect(load, [api]);
  const status = (component: { status: 'ok' | 'unavailable'; code?: string }) =>
    component.status === 'ok' ? <span class="ok">{tr.t('admin.ok')}</span> : <span class="error">{tr.t('admin.unavailable', { code: component.code ?? '?' })}</span>;
  return (
    <section aria-labelledby="admin-heading">
      <h1 id="admin-heading">{tr.t('admin.heading')}</h1>
      {failure !== null && (
        <p class="error" role="alert">
          {failure(tr)}{' '}
          <button type="button" onClick={load}>
            {tr.t('app.retry')}
          </button>
        </p>
      )}
      {overview === null ? (
        failure === null && <p role="status">{tr.t('app.loading')}</p>
      ) : (
        <>
          <dl class="facts">
            <dt>{tr.t('admin.backend')}</dt>
            <dd class="mono">{overview.storage.backend}</dd>
            <dt>{tr.t('admin.storage')}</dt>
            <dd>{status(overview.storage)}</dd>
            <dt>{tr.t('admin.database')}</dt>
            <dd>{status(overview.database)}</dd>
            <dt>{tr.t('admin.maxUpload')}</dt>
            <dd>{tr.size(overview.limits.maxUploadBytes)}</dd>
          </dl>
          <table class="documents">
            <caption>{tr.t('admin.byType')}</caption>
            <thead>
              <tr>
                <th scope="col">{tr.t('list.type')}</th>
                <th scope="col" class="num">
                  {tr.t('admin.count')}
                </th>
                <th scope="col" class="num">
                  {tr.t('admin.bytes')}
                </th>
              </tr>
            </thead>
            <tbody>
              {overview.documents.byType.map((row) => (
                <tr key={row.type}>
                  <th scope="row">{tr.has(`type.${row.type}`) ? tr.t(`type.${row.type}` as never) : row.type}</th>
                  <td class="num">{tr.number(row.count)}</td>
                  <td class="num">{tr.size(row.bytes)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{tr.t('admin.total')}</th>
                <td class="num">{tr.number(overview.documents.total.count)}</td>
                <td class="num">{tr.size(overview.documents.total.bytes)}</td>
              </tr>
              <tr>
                <th scope="row">{tr.t('admin.trash')}</th>
                <td class="num">{tr.number(overview.documents.trash.count)}</td>
                <td class="num">{tr.size(overview.documents.trash.bytes)}</td>
              </tr>
            </tfoot>
          </table>
        </>
      )}
    </section>
  );
}
