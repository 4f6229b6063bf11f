import { useEffect, useState } from 'react';

const DEBOUNCE_MS = 300;

/**
 * The title search: the board follows the text once typing pauses, so a word typed
 * is one request, not one per letter; the URL keeps it (replaced, not a history entry per pause).
 */
export function SearchBox({
  value,
  onSearch,
}: {
  value: string | undefined;
  onSearch: (q: string | undefined) => void;
}) {
  const [text, setText] = useState(value ?? '');
  // Back and forward change the URL's search: show what it says.
  useEffect(() => setText(value ?? ''), [value]);
  useEffect(() => {
    const q = text.trim() || undefined;
    if (q === value) return;
    const timer = setTimeout(() => onSearch(q), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, value, onSearch]);
  return (
    <label>
      Search
      <input
        type="search"
        value={text}
        placeholder="Title contains…"
        maxLength={200}
        onChange={(e) => setText(e.target.value)}
      />
    </label>
  );
}
