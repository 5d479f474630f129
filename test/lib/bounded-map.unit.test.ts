import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../src/lib/bounded-map.js';

describe('BoundedMap', () => {
  it('keeps the newest entries up to its capacity; setting a key again makes it the newest; reading does not reorder', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect([...map.keys()]).toEqual(['b', 'c']);
    map.set('b', 20);
    map.set('d', 4);
    expect([...map.entries()]).toEqual([
      ['b', 20],
      ['d', 4],
    ]);
    map.delete('b');
    expect([...map.keys()]).toEqual(['d']);
  });
});
