/**
 * Finds where devenv.yml names an image (`base:` or a stage's `base:`), so a failure that happens
 * long after validation, such as a base the registry does not have, can still point at its line.
 */
import { formatLocation } from './diagnostic.js';
import { parseYaml, valueAt } from './parse-yaml.js';

/**
 * Returns a function from an image reference to the `file:line:col` of the `base` field that names it,
 * or `undefined` when devenv.yml does not name it (an image a user Dockerfile pulls, say).
 * @param file the path shown to the user.
 */
export function imageLocator(
  text: string,
  file: string,
  prefix: readonly (string | number)[] = [],
): (ref: string) => string | undefined {
  return (ref) => {
    const parsed = parseYaml(text, file, prefix);
    const config = parsed.value as { base?: unknown; stages?: unknown } | undefined;
    const paths: (string | number)[][] = [['base']];
    if (typeof config?.stages === 'object' && config.stages !== null)
      for (const stage of Object.keys(config.stages)) paths.push(['stages', stage, 'base']);
    for (const fieldPath of paths) {
      if (valueAt(config, fieldPath) !== ref) continue;
      const pos = parsed.locate(fieldPath, 'value');
      return formatLocation({ file, line: pos?.line, col: pos?.col });
    }
    return undefined;
  };
}
