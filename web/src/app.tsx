import { useCallback, useEffect, useLayoutEffect, useMemo, useState } from 'preact/hooks';
import { Api, type BuildingSummary, type Me } from './api.js';
import { Console } from './context.js';
import { failureOf, type Said } from './errors.js';
import { LOCALES, LOCALE_NAMES, pickLocale, translator, type Locale, type Translator } from './i18n/index.js';
import { hrefOf, useRoute } from './route.js';
import { forgetToken, storeToken, storedToken, takeTokenFromLocation } from './session.js';
import { AdminView, SearchPanel } from './views/lazy-views.js';
import { BuildingList } from './views/building-list.js';
import { BuildingView } from './views/building-view.js';
import { SignIn } from './views/sign-in.js';

const LOCALE_KEY = 'docstore.locale';

function initialLocale(): Locale {
  const saved = sessionStorage.getItem(LOCALE_KEY);
  return LOCALES.includes(saved as Locale) ? (saved as Locale) : pickLocale(navigator.languages);
}

/** The console: sign-in, then buildings on the left and the chosen view on the right (one after the other on a phone). */
export function App() {
  const [locale, setLocale] = useState<Locale>(initialLocale);
  const tr = useMemo(() => translator(locale), [locale]);
  const [token, setToken] = useState<string | null>(storedToken);
  const [expired, setExpired] = useState(false);
  const [me, setMe] = useState<Me | null>(null);
  const [failure, setFailure] = useState<Said | null>(null);

  // A sign-in link opened in a tab that already shows the console only changes the fragment.
  useEffect(() => {
    const onHashChange = () => {
      const taken = takeTokenFromLocation();
      if (taken !== undefined) (setMe(null), setExpired(false), setToken(taken));
    };
    addEventListener('hashchange', onHashChange);
    // A link opened between the first paint and this effect fired its event unheard (see useRoute).
    onHashChange();
    return () => removeEventListener('hashchange', onHashChange);
  }, []);

  // Before paint, so that the page's language changes with its texts (screen readers, and the
  // browser test that reads it once the texts have changed).
  useLayoutEffect(() => {
    document.documentElement.lang = locale;
    sessionStorage.setItem(LOCALE_KEY, locale);
  }, [locale]);

  const signOut = useCallback((wasExpired: boolean) => {
    forgetToken();
    setToken(null);
    setMe(null);
    setExpired(wasExpired);
  }, []);
  const api = useMemo(() => (token === null ? null : new Api(token, () => signOut(true))), [token, signOut]);

  useEffect(() => {
    if (api === null) return;
    setFailure(null);
    api.me().then(setMe, (error: unknown) => setFailure(() => failureOf(error)));
  }, [api]);

  const header = (
    <header class="topbar">
      <a class="skip" href="#main">
        {tr.t('app.skip')}
      </a>
      <span class="brand">{tr.t('app.title')}</span>
      <label class="language">
        {tr.t('app.language')}{' '}
        <select value={locale} onChange={(event) => setLocale((event.target as HTMLSelectElement).value as Locale)}>
          {LOCALES.map((code) => (
            <option value={code} lang={code} key={code}>
              {LOCALE_NAMES[code]}
            </option>
          ))}
        </select>
      </label>
      {me !== null && (
        <>
          <span class="who">{tr.t('app.role', { role: tr.t(`role.${me.role}`) })}</span>
          <button type="button" class="secondary" onClick={() => signOut(false)}>
            {tr.t('app.signOut')}
          </button>
        </>
      )}
    </header>
  );

  if (api === null) {
    return (
      <>
        {header}
        <SignIn tr={tr} expired={expired} onSignedIn={(value) => (storeToken(value), setExpired(false), setToken(value))} />
      </>
    );
  }
  if (me === null) {
    return (
      <>
        {header}
        <main id="main" class="centered">
          {failure === null ? <p role="status">{tr.t('app.loading')}</p> : <p role="alert">{failure(tr)}</p>}
        </main>
      </>
    );
  }
  return (
    <>
      {header}
      <SignedIn tr={tr} api={api} me={me} />
    </>
  );
}

function SignedIn({ tr, api, me }: { tr: Translator; api: Api; me: Me }) {
  const route = useRoute();
  const [buildings, setBuildings] = useState<BuildingSummary[] | null>(null);
  const [failure, setFailure] = useState<Said | null>(null);
  const refreshBuildings = useCallback(() => {
    api.buildings().then(
      (list) => (setBuildings(list), setFailure(null)),
      (error: unknown) => setFailure(() => failureOf(error)),
    );
  }, [api, tr]);
  useEffect(refreshBuildings, [refreshBuildings]);
  // A building opened by its address but not in the list (registered since, by the management
  // software): the list is read again once before the building is said not to exist.
  const [rechecked, setRechecked] = useState<string | null>(null);
  const opened = route.view === 'building' ? route.buildingId : null;
  const listed = opened !== null && buildings?.some((b) => b.id === opened) === true;
  useEffect(() => {
    if (opened === null || buildings === null || listed || rechecked === opened) return;
    api.buildings().then(
      (list) => (setBuildings(list), setRechecked(opened)),
      (error: unknown) => (setFailure(() => failureOf(error)), setRechecked(opened)),
    );
  }, [api, tr, opened, buildings, listed, rechecked]);
  const context = useMemo(() => ({ tr, api, me, refreshBuildings }), [tr, api, me, refreshBuildings]);

  return (
    <Console.Provider value={context}>
      {/* On a phone an opened building or view replaces the buildings list (styles.css), with a link back. */}
      <div class={route.view === 'home' ? 'layout home' : 'layout opened'}>
        <nav class="sidebar" aria-label={tr.t('buildings.heading')}>
          <BuildingList buildings={buildings} failure={failure} current={route.view === 'building' ? route.buildingId : null} />
          {me.role === 'superadmin' && (
            <p>
              <a href={hrefOf({ view: 'admin' })} aria-current={route.view === 'admin' ? 'page' : undefined}>
                {tr.t('admin.link')}
              </a>
            </p>
          )}
        </nav>
        <main id="main" tabIndex={-1}>
          {route.view !== 'home' && (
            <a class="back" href={hrefOf({ view: 'home' })}>
              <span aria-hidden="true">←</span> {tr.t('app.back')}
            </a>
          )}
          {route.view === 'building' && !listed && rechecked !== route.buildingId ? (
            <p role="status">{tr.t('app.loading')}</p>
          ) : route.view === 'building' && !listed ? (
            <p class="error" role="alert">
              {tr.t('building.notFound')}
            </p>
          ) : route.view === 'building' ? (
            <BuildingView key={route.buildingId} buildingId={route.buildingId} tab={route.tab} summary={buildings?.find((b) => b.id === route.buildingId)} />
          ) : route.view === 'admin' && me.role === 'superadmin' ? (
            <AdminView />
          ) : (
            <>
              <SearchPanel />
              <p class="hint">{tr.t('buildings.select')}</p>
            </>
          )}
        </main>
      </div>
    </Console.Provider>
  );
}
