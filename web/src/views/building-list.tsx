import { useState } from 'preact/hooks';
import type { BuildingSummary } from '../api.js';
import { useConsole } from '../context.js';
import type { Said } from '../errors.js';
import { hrefOf } from '../route.js';
import { addressLine, buildingName } from './building-names.js';
import { BuildingForm } from './lazy-views.js';

/** The caller's buildings by name, with address and counts; syndics and superadmins register new ones. */
export function BuildingList({ buildings, failure, current }: { buildings: BuildingSummary[] | null; failure: Said | null; current: string | null }) {
  const { tr, me, refreshBuildings } = useConsole();
  const [registering, setRegistering] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const mayRegister = me.role === 'superadmin' || me.role === 'syndic';
  return (
    <>
      <h2>{tr.t('buildings.heading')}</h2>
      {failure !== null && <p class="error" role="alert">{failure(tr)}</p>}
      {buildings === null ? (
        <p role="status">{tr.t('app.loading')}</p>
      ) : buildings.length === 0 ? (
        <p class="hint">{tr.t('buildings.none')}</p>
      ) : (
        <ul class="buildings">
          {buildings.map((building) => (
            <li key={building.id}>
              <a href={hrefOf({ view: 'building', buildingId: building.id, tab: 'documents' })} aria-current={building.id === current ? 'page' : undefined} class={building.name === '' ? 'unnamed' : undefined}>
                <span class="name">{buildingName(tr, building)}</span>
                {addressLine(building) !== '' && <span class="meta">{addressLine(building)}</span>}
                <span class="meta">{tr.t('buildings.summary', { count: tr.number(building.documents.count), size: tr.size(building.documents.bytes) })}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
      {created !== null && (
        <p class="ok" role="status">
          {created}
        </p>
      )}
      {mayRegister &&
        (registering ? (
          <section class="register-building" aria-labelledby="register-building-heading">
            <h3 id="register-building-heading">{tr.t('buildings.register')}</h3>
            <BuildingForm
              onCancel={() => setRegistering(false)}
              onSaved={(building) => {
                setRegistering(false);
                setCreated(tr.t('building.created', { name: building.name }));
                refreshBuildings();
                location.hash = hrefOf({ view: 'building', buildingId: building.id, tab: 'documents' });
              }}
            />
          </section>
        ) : (
          <button type="button" class="secondary" onClick={() => (setRegistering(true), setCreated(null))}>
            {tr.t('buildings.register')}
          </button>
        ))}
    </>
  );
}
