/** The fixed files of every archive, under its root folder. */
export const ARCHIVE_FILES = {
  readme: 'README.txt',
  manifestJson: 'manifest.json',
  manifestCsv: 'manifest.csv',
  signingKey: 'signing-key.asc',
  auditTrail: 'audit/audit-trail.jsonl',
  checksums: 'SHA256SUMS',
  signature: 'SHA256SUMS.asc',
} as const;

/** What the archive's folder of one document is named from. */
export interface DocumentPlace {
  id: string;
  type: string;
  /** YYYY-MM-DD. */
  documentDate: string;
  title: string;
  /** Trashed documents go under `trash/`. */
  trashed: boolean;
}

/** Longest name of one folder or file in the archive, in UTF-8 bytes (file systems allow 255). */
const MAX_COMPONENT_BYTES = 120;

// Characters Windows, macOS or Linux refuse or treat specially in a file name, controls, bidirectional overrides.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f<>:"/\\|?*\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/**
 * One path component safe on every operating system: NFC, no separators or characters Windows
 * refuses, no leading dots or trailing dots and spaces, not a reserved Windows name, at most
 * 120 UTF-8 bytes (the extension kept). Never empty: `fallback` when nothing is left.
 */
export function safeComponent(text: string, fallback: string): string {
  let name = text.normalize('NFC').replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim().replace(/^\.+/, '').replace(/[. ]+$/, '');
  if (name === '') name = fallback;
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  if (Buffer.byteLength(name) <= MAX_COMPONENT_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 12 ? name.slice(dot) : '';
  let stem = [...name.slice(0, name.length - extension.length)];
  while (Buffer.byteLength(stem.join('') + extension) > MAX_COMPONENT_BYTES) stem = stem.slice(0, -1);
  return `${stem.join('').trimEnd()}${extension}`;
}

/**
 * Names every file of the archive: `documents/<type>/<date> <title> (<id8>)/v<n> <file name>`
 * (trashed ones under `trash/`), unique in the archive (compared case-insensitively, as Windows
 * and macOS do); a clash gets ` (2)`, ` (3)`… before the extension.
 */
export class ArchiveLayout {
  private readonly taken = new Set<string>();

  constructor(private readonly root: string) {}

  /** The folder of a document, without the root. */
  documentFolder(place: DocumentPlace): string {
    const base = place.trashed ? 'trash' : 'documents';
    const name = safeComponent(`${place.documentDate} ${place.title} (${place.id.replace(/-/g, '').slice(-8)})`, place.id);
    return `${base}/${safeComponent(place.type, 'other')}/${name}`;
  }

  /** The path of a version's file, without the root; unique among every path given out. */
  versionPath(folder: string, version: number, fileName: string): string {
    return this.claim(`${folder}/${safeComponent(`v${version} ${fileName}`, `v${version}`)}`);
  }

  /** Reserves a fixed path (README, manifests). */
  fixed(path: string): string {
    return this.claim(path);
  }

  /** The path inside the ZIP: under the root folder, so that extracting makes one folder. */
  inZip(path: string): string {
    return `${this.root}/${path}`;
  }

  private claim(path: string): string {
    let candidate = path;
    for (let n = 2; this.taken.has(candidate.toLowerCase()); n++) {
      const slash = path.lastIndexOf('/');
      const dot = path.lastIndexOf('.');
      const cut = dot > slash + 1 ? dot : path.length;
      candidate = `${path.slice(0, cut)} (${n})${path.slice(cut)}`;
    }
    this.taken.add(candidate.toLowerCase());
    return candidate;
  }
}
