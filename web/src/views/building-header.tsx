import { useEffect, useState } from 'preact/hooks';
import type { BuildingSummary } from '../api.js';
import { useConsole } from '../context.js';
import { addressLine, buildingName } from './building-names.js';
import { BuildingForm } from './lazy-views.js';

/**
 * A building's name (the heading), address and financial-year end; for those who may manage it, a
 * form to rename or change it, opened at once with a prompt when the building has no name yet.
 */
export function BuildingHeader({ building }: { building: BuildingSummary }) {
  const { tr, refreshBuildings } = useConsole();
  const unnamed = building.name === '';
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => setSaved(null), [tr, building.id]);
  const address = addressLine(building);
  const yearEnd = new Intl.DateTimeFormat(tr.locale, { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(Date.UTC(2001, building.financialYearEnd.month - 1, building.financialYearEnd.day));
  return (
    <header class="building-header">
      <h1 id="building-heading">{buildingName(tr, building)}</h1>
      <p class="meta">
        {address !== '' && <span class="address">{address} · </span>}
        {tr.t('building.yearEnd', { date: yearEnd })}
      </p>
      {saved !== null && (
        <p class="ok" role="status">
          {saved}
        </p>
      )}
      {unnamed && building.permissions.manage && !editing && (
        <div class="prompt" role="note">
          <p>{tr.t('building.unnamedPrompt')}</p>
          <button type="button" onClick={() => setEditing(true)}>
            {tr.t('building.nameIt')}
          </button>
        </div>
      )}
      {!unnamed && building.permissions.manage && !editing && (
        <button type="button" class="secondary" onClick={() => setEditing(true)}>
          {tr.t('building.edit')}
        </button>
      )}
      {editing && (
        <BuildingForm
          building={building}
          onCancel={() => setEditing(false)}
          onSaved={(changed) => {
            setEditing(false);
            setSaved(tr.t('building.saved', { name: changed.name }));
            refreshBuildings();
          }}
        />
      )}
    </header>
  );
}
