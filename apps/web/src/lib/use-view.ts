import { useCallback, useEffect, useState } from 'react';
import { type BoardView, parseView, serializeView } from './url-state';

/** The board view, read from and written to the URL (back and forward work). */
export function useView(): [
  BoardView,
  (patch: Partial<BoardView>, mode?: 'push' | 'replace') => void,
] {
  const [view, setView] = useState(() => parseView(window.location.search));
  useEffect(() => {
    const onPop = () => setView(parseView(window.location.search));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const update = useCallback((patch: Partial<BoardView>, mode: 'push' | 'replace' = 'push') => {
    setView((current) => {
      const next = { ...current, ...patch };
      for (const key of Object.keys(patch) as (keyof BoardView)[]) {
        if (patch[key] === undefined) delete next[key];
      }
      const url = `${window.location.pathname}${serializeView(next)}`;
      if (mode === 'push') window.history.pushState(null, '', url);
      else window.history.replaceState(null, '', url);
      return next;
    });
  }, []);
  return [view, update];
}
