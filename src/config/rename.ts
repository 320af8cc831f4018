/**
 * `load --name N` restores an environment under another name; the devenv.yml it writes must say so,
 * or the next `devenv up` in that folder would drive the original environment. Edits the YAML
 * document, so the user's comments and layout survive.
 */
import { parseDocument } from 'yaml';

/** The devenv.yml `text` with its top-level `name:` set to `name` (added when absent). */
export function withConfigName(text: string, name: string): string {
  const doc = parseDocument(text);
  if (doc.get('name') === name) return text;
  doc.set('name', name);
  return doc.toString();
}
