import { describe, expect, it } from 'vitest';
import { sseParser } from '../src/sse';

// The bench's own text/event-stream reader: what the API writes, cut wherever TCP cuts it.

const stream =
  'retry: 1000\n\nid: 41\nevent: change\ndata: {"id":41}\n\n: ping\n\nid: 42\nevent: change\ndata: {"id":42}\n\n';

describe('sseParser', () => {
  it('reads events and skips the retry line and keep-alive comments', () => {
    expect(sseParser()(stream)).toEqual([
      { id: '41', event: 'change', data: '{"id":41}' },
      { id: '42', event: 'change', data: '{"id":42}' },
    ]);
  });

  it('gives the same events however the text is split into chunks', () => {
    for (const size of [1, 2, 3, 7, 16]) {
      const parse = sseParser();
      const events = [];
      for (let i = 0; i < stream.length; i += size)
        events.push(...parse(stream.slice(i, i + size)));
      expect(events.map((e) => e.id)).toEqual(['41', '42']);
    }
  });

  it('holds an unfinished event back until its blank line', () => {
    const parse = sseParser();
    expect(parse('id: 7\ndata: {"a":')).toEqual([]);
    expect(parse('1}\n\n')).toEqual([{ id: '7', event: undefined, data: '{"a":1}' }]);
  });

  it('joins several data lines with a newline and takes CRLF line ends', () => {
    expect(sseParser()('data: one\r\ndata:two\r\n\r\n')).toEqual([
      { id: undefined, event: undefined, data: 'one\ntwo' },
    ]);
  });
});
