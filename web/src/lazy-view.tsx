import { h, type ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A view fetched on first use (its own bundle chunk), so that the entry bundle stays small: the
 * upload panel, versions, forms and the storage page are not needed to read documents.
 * Shows `fallback` while loading; a chunk that cannot be fetched (network) says so in its place.
 */
export function lazyView<P extends object>(load: () => Promise<ComponentType<P>>, fallback: (failed: boolean) => preact.ComponentChildren): ComponentType<P> {
  let loaded: ComponentType<P> | undefined;
  let pending: Promise<ComponentType<P>> | undefined;
  return function LazyView(props: P) {
    const [, setReady] = useState(loaded !== undefined);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (loaded !== undefined) return;
      let live = true;
      pending ??= load().then((component) => (loaded = component));
      pending.then(
        () => live && setReady(true),
        () => {
          pending = undefined;
          if (live) setFailed(true);
        },
      );
      return () => {
        live = false;
      };
    }, []);
    return loaded === undefined ? <>{fallback(failed)}</> : h(loaded, props);
  };
}
