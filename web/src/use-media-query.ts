import { useEffect, useState } from 'preact/hooks';

/** Below this width documents are cards, not a table (phones, tablets upright). */
export const CARDS_QUERY = '(max-width: 59.99rem)';

/** Whether the media query matches now; follows it as the window turns or resizes. */
export function useMediaQuery(query: string): boolean {
  const [matches, setMatches] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const list = matchMedia(query);
    const update = () => setMatches(list.matches);
    update();
    list.addEventListener('change', update);
    return () => list.removeEventListener('change', update);
  }, [query]);
  return matches;
}
