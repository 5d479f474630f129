import { useState } from 'preact/hooks';
import type { BuildingInput, BuildingSummary } from '../api.js';
import { useConsole } from '../context.js';
import { failureOf, type Said } from '../errors.js';

const MONTHS = Array.from({ length: 12 }, (_, index) => index + 1);

/**
 * Registers a building (`building` absent) or changes one: name, address, financial-year end; when
 * registering, the management software's identifier (optional) and, for a superadmin, the
 * organisation. The API validates (a day the month has, 29 February refused); its error is shown.
 */
export function BuildingForm({ building, onSaved, onCancel }: { building?: BuildingSummary; onSaved: (saved: BuildingSummary) => void; onCancel?: () => void }) {
  const { tr, api, me } = useConsole();
  const [name, setName] = useState(building?.name ?? '');
  const [street, setStreet] = useState(building?.address.street ?? '');
  const [postalCode, setPostalCode] = useState(building?.address.postalCode ?? '');
  const [city, setCity] = useState(building?.address.city ?? '');
  const [country, setCountry] = useState(building?.address.country ?? 'BE');
  const [day, setDay] = useState(String(building?.financialYearEnd.day ?? 31));
  const [month, setMonth] = useState(String(building?.financialYearEnd.month ?? 12));
  const [id, setId] = useState('');
  const [organizationId, setOrganizationId] = useState('');
  const [failure, setFailure] = useState<Said | null>(null);
  const [busy, setBusy] = useState(false);
  const prefix = building === undefined ? 'new-building' : `building-${building.id}`;
  const monthName = (value: number) => new Intl.DateTimeFormat(tr.locale, { month: 'long', timeZone: 'UTC' }).format(Date.UTC(2001, value - 1, 1));

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    const input: BuildingInput = {
      name: name.trim(),
      address: { street: street.trim() || null, postalCode: postalCode.trim() || null, city: city.trim() || null, country: country.trim().toUpperCase() || 'BE' },
      financialYearEnd: { month: Number(month), day: Number(day) },
    };
    try {
      const saved =
        building === undefined
          ? await api.createBuilding({ ...input, ...(id.trim() === '' ? {} : { id: id.trim().toLowerCase() }), ...(me.role === 'superadmin' ? { organizationId: organizationId.trim() } : {}) })
          : await api.updateBuilding(building.id, input);
      onSaved(saved);
    } catch (error) {
      setFailure(() => failureOf(error));
    } finally {
      setBusy(false);
    }
  };

  const field = (key: string, label: string, value: string, set: (value: string) => void, extra: Record<string, unknown> = {}) => (
    <label for={`${prefix}-${key}`}>
      {label}
      <input id={`${prefix}-${key}`} value={value} onInput={(event) => set((event.target as HTMLInputElement).value)} {...extra} />
    </label>
  );

  return (
    <form class="building-form" onSubmit={submit} aria-busy={busy}>
      {field('name', tr.t('buildingForm.name'), name, setName, { required: true, maxLength: 200 })}
      {field('street', tr.t('buildingForm.street'), street, setStreet, { maxLength: 200, autoComplete: 'street-address' })}
      <div class="row">
        {field('postal-code', tr.t('buildingForm.postalCode'), postalCode, setPostalCode, { maxLength: 16, size: 6 })}
        {field('city', tr.t('buildingForm.city'), city, setCity, { maxLength: 100 })}
        {field('country', tr.t('buildingForm.country'), country, setCountry, { maxLength: 2, size: 3, required: true })}
      </div>
      <fieldset class="row">
        <legend>{tr.t('buildingForm.yearEnd')}</legend>
        {field('year-end-day', tr.t('buildingForm.yearEndDay'), day, setDay, { type: 'number', min: 1, max: 31, required: true })}
        <label for={`${prefix}-year-end-month`}>
          {tr.t('buildingForm.yearEndMonth')}
          {/* Named by aria-label: the label's text would otherwise include every month's name. */}
          <select id={`${prefix}-year-end-month`} aria-label={tr.t('buildingForm.yearEndMonth')} value={month} onChange={(event) => setMonth((event.target as HTMLSelectElement).value)}>
            {MONTHS.map((value) => (
              <option value={String(value)} key={value}>
                {monthName(value)}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      {building === undefined && field('id', tr.t('buildingForm.id'), id, setId, { class: 'mono', maxLength: 36 })}
      {building === undefined && me.role === 'superadmin' && field('organization', tr.t('buildingForm.organization'), organizationId, setOrganizationId, { class: 'mono', maxLength: 36, required: true })}
      {failure !== null && (
        <p class="error" role="alert">
          {failure(tr)}
        </p>
      )}
      <div class="row">
        <button type="submit" disabled={busy}>
          {building === undefined ? tr.t('buildingForm.create') : tr.t('action.save')}
        </button>
        {onCancel !== undefined && (
          <button type="button" class="secondary" onClick={onCancel}>
            {tr.t('action.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
