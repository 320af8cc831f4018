/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1). One header may hold several challenges, and fetch
 * joins repeated headers with ", ", so the parser splits on a new scheme token, not on every comma.
 */

/** One challenge: the scheme in lower case (`bearer`, `basic`) and its parameters (keys lowercased). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const SPACE = /[ \t]*/y;

function match(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

/** Every challenge in the header, in order; garbage yields the challenges read before it. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const skip = (): void => {
    i += match(SPACE, header, i)?.length ?? 0;
  };
  while (i < header.length) {
    skip();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const scheme = match(TOKEN, header, i);
    if (scheme === undefined) break;
    i += scheme.length;
    const challenge: Challenge = {
      scheme: scheme.toLowerCase(),
      params: Object.create(null) as Record<string, string>,
    };
    challenges.push(challenge);
    for (;;) {
      skip();
      const start = i;
      const key = match(TOKEN, header, i);
      if (key === undefined) break;
      i += key.length;
      skip();
      if (header[i] !== '=') {
        i = start; // a token without "=" starts the next challenge
        break;
      }
      i++;
      skip();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\') i++;
          value += header[i] ?? '';
          i++;
        }
        i++;
      } else {
        value = match(TOKEN, header, i) ?? '';
        i += value.length;
        while (header[i] === '=') {
          value += '=';
          i++;
        }
      }
      challenge.params[key.toLowerCase()] = value;
      skip();
      if (header[i] === ',') i++;
      else break;
    }
  }
  return challenges;
}
