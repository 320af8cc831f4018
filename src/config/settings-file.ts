/**
 * Changing one key of the user settings file (`~/.config/devenv/config.yml`) the way a person would:
 * comments, key order, formatting and every other key stay as they were. The yaml Document API
 * locates the key; a scalar value is replaced in place and a missing key appended, so the rest of
 * the file keeps its exact bytes (re-serialising would restyle flow lists and quotes). The result
 * is validated before it is written, atomically, so a bad edit never reaches the file.
 */
import { existsSync } from 'node:fs';
import { mkdir, stat } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { isMap, isScalar, parseDocument, stringify } from 'yaml';
import { writeFileAtomic } from '../util/atomic.js';
import { ConfigError } from './diagnostic.js';
import { readConfigText } from './load.js';
import type { Settings } from './settings.js';
import { validateSettingsText } from './settings.js';

/** The settings text with `key` set to the scalar `value`; see the module comment. */
export function withSetting(text: string, key: keyof Settings, value: string | number | boolean): string {
  const doc = parseDocument(text);
  const scalar = stringify(value).trimEnd();
  const contents = doc.contents;
  if (contents === null) return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${key}: ${scalar}\n`;
  if (isMap(contents) && contents.flow !== true) {
    const pair = contents.items.find((item) => isScalar(item.key) && item.key.value === key);
    if (pair === undefined) return `${text}${text.endsWith('\n') ? '' : '\n'}${key}: ${scalar}\n`;
    const range = isScalar(pair.value) ? pair.value.range : undefined;
    if (range != null) return `${text.slice(0, range[0])}${scalar}${text.slice(range[1])}`;
  }
  doc.set(key, value);
  return doc.toString();
}

/**
 * Sets `key` to `value` in the settings file `file` (created with its folder when missing). Throws
 * {@link ConfigError} when the file is invalid already or the change would make it invalid.
 */
export async function updateSettingsFile(
  file: string,
  key: keyof Settings,
  value: string | number | boolean,
): Promise<void> {
  const exists = existsSync(file);
  const text = exists ? await readConfigText(file) : '';
  const before = validateSettingsText(text, file);
  if (before.settings === undefined) throw new ConfigError(before.diagnostics, file);
  const next = withSetting(text, key, value);
  const after = validateSettingsText(next, file);
  if (after.settings === undefined) throw new ConfigError(after.diagnostics, file);
  const mode = exists ? (await stat(file)).mode & 0o777 : 0o644;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, next, mode);
}
