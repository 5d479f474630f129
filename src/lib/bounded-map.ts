/**
 * A `Map` that keeps at most `capacity` entries: setting a key makes it the newest (an existing key
 * moves to the end), and the oldest entries go once there are more. Reading does not reorder; a
 * cache that wants least-recently-used order sets the entry again when it uses it.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly capacity: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    for (const oldest of this.keys()) {
      if (this.size <= this.capacity) break;
      super.delete(oldest);
    }
    return this;
  }
}
