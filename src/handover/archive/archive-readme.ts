/** What the README states about the archive it opens. */
export interface ReadmeFacts {
  buildingName: string;
  buildingId: string;
  createdAt: string;
  /** The root folder's name (where to run the commands). */
  root: string;
  documents: number;
  versions: number;
  fingerprint: string;
  excluded: number;
}

/** Fingerprint in groups of four, as `gpg --fingerprint` prints it. */
function grouped(fingerprint: string): string {
  return fingerprint.replace(/(.{4})/g, '$1 ').trim();
}

/**
 * `README.txt`: what the archive is and how a receiver verifies it with standard tools, in
 * French, Dutch and English (CRLF line ends, so that Notepad shows it as written).
 */
export function archiveReadme(facts: ReadmeFacts): string {
  const fpr = grouped(facts.fingerprint);
  const commands = [
    `    cd "${facts.root}"`,
    '    sha256sum -c SHA256SUMS                    (macOS: shasum -a 256 -c SHA256SUMS)',
    '    gpg --import signing-key.asc',
    '    gpg --fingerprint',
    '    gpg --verify SHA256SUMS.asc SHA256SUMS',
  ].join('\n');
  const text = `docstore — ${facts.buildingName || facts.buildingId} (${facts.buildingId})
${facts.createdAt}
${facts.documents} documents, ${facts.versions} versions${facts.excluded > 0 ? `, ${facts.excluded} excluded (manifest.json: "excluded")` : ''}
OpenPGP: ${fpr}

=== FRANÇAIS ===
Ce dossier contient toutes les archives de l'association des copropriétaires, remises par le
syndic sortant au nouveau syndic : chaque document avec chacune de ses versions (documents/,
et trash/ pour la corbeille si elle est incluse), leur inventaire (manifest.csv pour un tableur,
manifest.json pour un logiciel), le journal d'audit quand il existe (audit/), la liste des
empreintes SHA-256 de chaque fichier (SHA256SUMS) et sa signature OpenPGP (SHA256SUMS.asc).

Vérification (Linux, macOS ; Windows : Gpg4win et Git Bash) :
${commands}
1. sha256sum doit afficher « OK » (ou « Réussi ») pour chaque fichier et aucune erreur.
2. L'empreinte de la clé doit être ${fpr} ; comparez-la avec celle que le syndic sortant vous a
   communiquée par un autre canal (courrier, téléphone). La clé jointe seule ne prouve rien.
3. gpg doit afficher « Bonne signature » (« Good signature »).
Si une étape échoue, l'archive a été modifiée ou est incomplète : ne l'acceptez pas.

=== NEDERLANDS ===
Deze map bevat het volledige archief van de vereniging van mede-eigenaars, door de vertrekkende
syndicus overgedragen aan de nieuwe syndicus: elk document met al zijn versies (documents/, en
trash/ voor de prullenbak als die is opgenomen), de inventaris (manifest.csv voor een rekenblad,
manifest.json voor software), het auditlogboek als het bestaat (audit/), de SHA-256-vingerafdruk
van elk bestand (SHA256SUMS) en de OpenPGP-handtekening daarvan (SHA256SUMS.asc).

Controle (Linux, macOS; Windows: Gpg4win en Git Bash):
${commands}
1. sha256sum moet voor elk bestand "OK" (of "Geslaagd") tonen en geen fout.
2. De vingerafdruk van de sleutel moet ${fpr} zijn; vergelijk hem met de vingerafdruk die de
   vertrekkende syndicus u langs een ander kanaal gaf (brief, telefoon). De bijgevoegde sleutel
   alleen bewijst niets.
3. gpg moet "Goede handtekening" ("Good signature") tonen.
Mislukt een stap, dan is het archief gewijzigd of onvolledig: aanvaard het niet.

=== ENGLISH ===
This folder holds the whole archive of the association of co-owners, handed over by the outgoing
syndic to the new one: every document with every version (documents/, and trash/ for the trash
when included), their inventory (manifest.csv for a spreadsheet, manifest.json for software), the
audit trail when there is one (audit/), the SHA-256 of every file (SHA256SUMS) and its OpenPGP
signature (SHA256SUMS.asc).

Verification (Linux, macOS; Windows: Gpg4win and Git Bash):
${commands}
1. sha256sum must print "OK" for every file and no error.
2. The key's fingerprint must be ${fpr}; compare it with the one the outgoing syndic gave you
   through another channel (letter, phone). The enclosed key alone proves nothing.
3. gpg must print "Good signature".
If a step fails, the archive was altered or is incomplete: do not accept it.

docstore import: docstore import FILE.zip --organization ORG --public-key signing-key.asc
`;
  return text.replace(/\n/g, '\r\n');
}
