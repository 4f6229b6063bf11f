import { describe, expect, it } from 'vitest';
import { parseView, serializeView } from '../../src/lib/url-state';

describe('board view in the URL', () => {
  it('round-trips every filter', () => {
    const view = {
      project: 'web-app',
      status: 'review' as const,
      priority: 'high' as const,
      mine: true,
      q: 'login bug',
      task: 42,
    };
    expect(serializeView(view)).toBe(
      '?project=web-app&status=review&priority=high&mine=1&q=login+bug&task=42',
    );
    expect(parseView(serializeView(view))).toEqual(view);
  });

  it('ignores values that are not filters rather than sending them to the API', () => {
    expect(parseView('?status=done&priority=urgent&task=-3&project=Bad%20Slug&mine=yes')).toEqual({
      mine: false,
    });
  });

  it('gives an empty query string for the default view', () => {
    expect(serializeView({ mine: false })).toBe('');
  });

  it('keeps a search trimmed and no longer than the API takes', () => {
    expect(parseView('?q=%20%20')).toEqual({ mine: false });
    expect(parseView(`?q=${'x'.repeat(300)}`).q).toHaveLength(200);
  });
});
