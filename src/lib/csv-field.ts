/**
 * One RFC 4180 field: quoted when it holds a comma, quote or line break. A text beginning with
 * `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so that a spreadsheet shows
 * it as text instead of running it as a formula (CSV injection, OWASP).
 */
export function csvField(value: string | number | boolean | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
