import { useState } from 'preact/hooks';
import type { BuildingSummary } from '../api.js';
import { useConsole } from '../context.js';
import { hrefOf } from '../route.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The caller's buildings with their counts, and (roles that upload) opening a building by id. */
export function BuildingList({ buildings, failure, current }: { buildings: BuildingSummary[] | null; failure: string | null; current: string | null }) {
  const { tr, me } = useConsole();
  const [id, setId] = useState('');
  const [invalid, setInvalid] = useState(false);
  const mayUpload = me.role === 'superadmin' || me.role === 'syndic' || me.role === 'accountant';
  const open = (event: Event) => {
    event.preventDefault();
    const value = id.trim().toLowerCase();
    if (!UUID.test(value)) return setInvalid(true);
    setInvalid(false);
    location.hash = hrefOf({ view: 'building', buildingId: value, tab: 'documents' });
  };
  return (
    <>
      <h2>{tr.t('buildings.heading')}</h2>
      {failure !== null && <p class="error" role="alert">{failure}</p>}
      {buildings === null ? (
        <p role="status">{tr.t('app.loading')}</p>
      ) : buildings.length === 0 ? (
        <p class="hint">{tr.t('buildings.none')}</p>
      ) : (
        <ul class="buildings">
          {buildings.map((building) => (
            <li key={building.id}>
              <a href={hrefOf({ view: 'building', buildingId: building.id, tab: 'documents' })} aria-current={building.id === current ? 'page' : undefined}>
                <span class="mono">{building.id}</span>
                <span class="meta">{tr.t('buildings.summary', { count: tr.number(building.documents.count), size: tr.size(building.documents.bytes) })}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
      {mayUpload && (
        <form class="open-building" onSubmit={open}>
          <h3>{tr.t('buildings.open')}</h3>
          <label for="building-id">{tr.t('buildings.openId')}</label>
          <input id="building-id" class="mono" value={id} aria-invalid={invalid} aria-describedby={invalid ? 'building-id-error' : undefined} onInput={(event) => setId((event.target as HTMLInputElement).value)} />
          {invalid && (
            <p id="building-id-error" class="error" role="alert">
              {tr.t('buildings.invalidId')}
            </p>
          )}
          <div class="row">
            <button type="submit">{tr.t('buildings.openSubmit')}</button>
            <button type="button" class="secondary" onClick={() => (setId(crypto.randomUUID()), setInvalid(false))}>
              {tr.t('buildings.new')}
            </button>
          </div>
        </form>
      )}
    </>
  );
}
