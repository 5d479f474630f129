import { pipeline, type Readable, type Transform } from 'node:stream';

/**
 * Pipes `source` through `transforms` and returns the last stream. Unlike `.pipe()`, a failure
 * anywhere destroys every stream with that error, so whoever consumes the result sees it.
 */
export function chain(source: Readable, ...transforms: Transform[]): Readable {
  if (transforms.length === 0) return source;
  const last = transforms[transforms.length - 1] as Transform;
  // The error reaches the consumer through `last`; the callback only keeps it from being unhandled.
  pipeline([source, ...transforms], () => {});
  return last;
}
