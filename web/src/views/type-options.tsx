import type { DocumentType } from '../api.js';
import { useConsole } from '../context.js';

/** One `<option>` per document type, labelled in the console's language. */
export function TypeOptions({ types }: { types: readonly DocumentType[] }) {
  const { tr } = useConsole();
  return (
    <>
      {types.map((value) => (
        <option value={value} key={value}>
          {tr.t(`type.${value}`)}
        </option>
      ))}
    </>
  );
}
