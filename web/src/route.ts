import { useEffect, useState } from 'preact/hooks';

/** A building's tabs: its documents, its trash, its activity (the audit trail). */
export type BuildingTab = 'documents' | 'trash' | 'activity';

/** Where the console is, from the address bar's fragment: `#/buildings/<id>[/trash|/activity]`, `#/admin`. */
export type Route = { view: 'home' } | { view: 'building'; buildingId: string; tab: BuildingTab } | { view: 'admin' };

export function parseRoute(hash: string): Route {
  const building = /^#\/buildings\/([0-9a-fA-F-]{36})(?:\/(trash|activity))?$/.exec(hash);
  if (building?.[1] !== undefined) return { view: 'building', buildingId: building[1].toLowerCase(), tab: (building[2] as BuildingTab | undefined) ?? 'documents' };
  if (hash === '#/admin') return { view: 'admin' };
  return { view: 'home' };
}

export function hrefOf(route: Route): string {
  if (route.view === 'building') return `#/buildings/${route.buildingId}${route.tab === 'documents' ? '' : `/${route.tab}`}`;
  return route.view === 'admin' ? '#/admin' : '#/';
}

/**
 * The route, following the fragment. Effects run after the first paint (Preact: up to a frame or
 * 100 ms later): a fragment change in between fires no event this hook hears, so the fragment is
 * read again once listening (a link followed as soon as the page showed was lost so).
 */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute((current) => (hrefOf(current) === hrefOf(parseRoute(location.hash)) ? current : parseRoute(location.hash)));
    addEventListener('hashchange', update);
    update();
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
