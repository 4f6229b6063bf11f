/** A substring pattern for ILIKE, with LIKE's wildcards escaped so a search is matched literally. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
