/**
 * The repo explains itself: README.md, src/, test/ and bench/ cite only pages under docs/, every
 * cited page exists, and every section or catalogue ID a citation names is on that page. A
 * citation is `docs/PAGE.md`, optionally followed by `#heading-slug` or by IDs such as
 * `C4`, `T1-T8` or `rule 4` (as in `(docs/reliability.md, C1, C3)`).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const self = relative(repo, fileURLToPath(import.meta.url));

/**
 * Notes that live outside this repo; a reader of the repo cannot follow a pointer to them. Written
 * with `[-]` so that a plain grep for these names finds no match in this file.
 */
const outsideNotes = [
  /shared\/(?:DESIGN|TESTING|HOUSE[-]RULES|research)/,
  /research\/[\w-]+\.md/,
  /\bDESIGN\.md\b/,
  /\bTESTING\.md\b/,
  /HOUSE[-]RULES/,
  /runtime[-]spec(?![a-z])/,
  /tui[-]spec(?![a-z])/,
  /(?<![\w/])reliability\.md/,
];

function filesUnder(dir: string): string[] {
  return readdirSync(join(repo, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : filesUnder(path);
    return [path];
  });
}

const sources = ['README.md', ...['src', 'test', 'bench'].flatMap(filesUnder)]
  .filter((f) => f !== self)
  .map((file) => ({ file, text: readFileSync(join(repo, file), 'utf8') }));

interface Citation {
  where: string;
  page: string;
  anchor: string | undefined;
  ids: string[];
}

const citation = /\bdocs\/([\w-]+(?:\/[\w-]+)*\.md)(#[\w-]+)?([^)\n;]*)/g;
const idToken = /\b(?:rule \d+|[A-Z]{1,2}\d+(?:\s*[-–]\s*[A-Z]{0,2}\d+)?)\b/g;

/** `T1-T8` names both ends, so both must be on the page. */
function expandIds(tail: string): string[] {
  return [...tail.matchAll(idToken)].flatMap(([token]) => {
    const [from, to] = token.split(/\s*[-–]\s*/);
    if (to === undefined) return [token];
    const letters = /^[A-Z]*/.exec(from ?? '')?.[0] ?? '';
    return [from ?? '', /^\d/.test(to) ? letters + to : to];
  });
}

function citationsIn(file: string, text: string): Citation[] {
  return text.split('\n').flatMap((line, i) =>
    [...line.matchAll(citation)].map((m) => ({
      where: `${file}:${i + 1}`,
      page: `docs/${m[1] ?? ''}`,
      anchor: m[2]?.slice(1),
      ids: expandIds(m[3] ?? ''),
    })),
  );
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function headingSlugs(markdown: string): Set<string> {
  const slugs = markdown
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) =>
      l
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  return new Set(slugs);
}

function definesId(markdown: string, id: string): boolean {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w-])${escaped}(?![\\w])`, id.startsWith('rule') ? 'i' : '').test(markdown);
}

describe('documentation citations', () => {
  it('point to nothing outside the repo', () => {
    const hits = sources.flatMap(({ file, text }) =>
      text
        .split('\n')
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(({ line }) => outsideNotes.some((p) => p.test(line)))
        .map(({ line, at }) => `${at}: ${line.trim()}`),
    );
    expect(hits).toEqual([]);
  });

  const citations = sources.flatMap(({ file, text }) => citationsIn(file, text));

  it('are found (the check is not vacuous)', () => {
    expect(citations.length).toBeGreaterThan(20);
  });

  it('name pages that exist', () => {
    const missing = citations
      .filter((c) => !existsSync(join(repo, c.page)))
      .map((c) => `${c.where}: ${c.page}`);
    expect(missing).toEqual([]);
  });

  it('name sections and IDs that are on the cited page', () => {
    const wrong = citations
      .filter((c) => existsSync(join(repo, c.page)))
      .flatMap((c) => {
        const page = readFileSync(join(repo, c.page), 'utf8');
        const problems = c.ids
          .filter((id) => !definesId(page, id))
          .map((id) => `${c.where}: ${c.page} has no ${id}`);
        if (c.anchor !== undefined && !headingSlugs(page).has(c.anchor))
          problems.push(`${c.where}: ${c.page} has no heading #${c.anchor}`);
        return problems;
      });
    expect(wrong).toEqual([]);
  });
});

describe('the docs themselves', () => {
  const pages = filesUnder('docs').filter((f) => f.endsWith('.md'));
  /** A path into the repo written in backticks, such as `src/image/reference.ts` or `test/e2e/`. */
  const repoPath = /`((?:src|test|bench|templates|examples|\.ci)\/[\w./-]*)`/g;

  it('name only files and folders of the repo that exist', () => {
    const cited = pages.flatMap((page) =>
      readFileSync(join(repo, page), 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          [...line.matchAll(repoPath)].map((m) => ({ at: `${page}:${i + 1}`, path: m[1] ?? '' })),
        ),
    );
    expect(cited.length).toBeGreaterThan(10);
    const missing = cited
      .filter(({ path }) => !existsSync(join(repo, path)))
      .map((c) => `${c.at}: ${c.path}`);
    expect(missing).toEqual([]);
  });
});
