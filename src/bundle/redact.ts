/**
 * Keeps proxy credentials out of bundles: user and password written into devenv.yml's `proxy` URLs
 * are cut from the bundled copy (the target machine has its own proxy, or the user adds them again).
 * The edit is made in place in the text, so comments and formatting stay exactly as written.
 */
import { isMap, isScalar, parseDocument } from 'yaml';

const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"]*@/gi;

/** devenv.yml text without credentials in `proxy:`; the same text when there are none. */
export function redactProxyCredentials(text: string): { text: string; redacted: boolean } {
  const proxy = parseDocument(text).get('proxy', true);
  if (!isMap(proxy)) return { text, redacted: false };
  const edits: [number, number][] = [];
  for (const pair of proxy.items) {
    const range = isScalar(pair.value) ? pair.value.range : undefined;
    if (range !== undefined && range !== null) edits.push([range[0], range[1]]);
  }
  let out = text;
  for (const [start, end] of edits.sort((a, b) => b[0] - a[0])) {
    out = out.slice(0, start) + out.slice(start, end).replace(USERINFO, '$1') + out.slice(end);
  }
  return { text: out, redacted: out !== text };
}
