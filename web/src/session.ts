const KEY = 'docstore.token';

/**
 * The token lives in sessionStorage only (gone with the tab). A link from `docstore open` carries
 * it in the URL fragment, which browsers never send to the server; it is taken from there and
 * removed from the address bar at once.
 */
export function takeTokenFromLocation(): string | undefined {
  const match = /(?:^#|&)token=([A-Za-z0-9._-]+)/.exec(location.hash);
  if (match?.[1] === undefined) return undefined;
  sessionStorage.setItem(KEY, match[1]);
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  return match[1];
}

export function storedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
