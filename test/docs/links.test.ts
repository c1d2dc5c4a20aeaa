/**
 * The docs stay inside the repository and in step with the code:
 *  - no Markdown file (README.md, docs/, bench/, src/, examples/) links outside the repository:
 *    no `[text](scheme:...)`, `<https://...>`, `href="http..."`; URLs inside code spans and code
 *    blocks are examples, not links. Relative links point at files that exist inside the repository;
 *  - README's CLI reference is the text of `upbit-ws <command> --help` (src/cli/usage.ts);
 *  - README's configuration table has a row for every option of `createUpbitHub` (read from the
 *    `UpbitHubOptions` interface in src/actors/hub-api.ts), its error table one for every error code.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../src/cli/usage.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

function markdownFiles(): string[] {
  const out = [join(ROOT, 'README.md')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.md')) out.push(p);
    }
  };
  for (const d of ['docs', 'bench', 'src', 'examples']) if (existsSync(join(ROOT, d))) walk(join(ROOT, d));
  return out;
}

/** The text with fenced code blocks and inline code spans blanked out. */
export function prose(md: string): string {
  return md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/(`+)[\s\S]*?\1/g, '');
}

/** Link targets of a Markdown text (outside code). */
export function linkTargets(md: string): string[] {
  const text = prose(md);
  const out: string[] = [];
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]);
  for (const m of text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) out.push(m[1]);
  for (const m of text.matchAll(/<((?:[a-z][a-z0-9+.-]*):[^>\s]+)>/gi)) out.push(m[1]);
  for (const m of text.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/gi)) out.push(m[1]);
  for (const m of text.matchAll(/(?<![\w/(<"'=])(https?:\/\/[^\s)>\]]+)/g)) out.push(m[1].replace(/[.,;:]+$/, ''));
  return out;
}

const external = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

describe('links', () => {
  it('finds links of every kind, and none inside code', () => {
    const sample = [
      '[a](https://x.example) ![b](img.png) <http://y.example> <a href="//z.example">z</a> see https://w.example.',
      '[ref]: mailto:someone@example.com',
      '`https://in.code.example` and',
      '```sh\ncurl https://block.example\n```',
    ].join('\n');
    expect(linkTargets(sample).sort()).toEqual(
      ['//z.example', 'http://y.example', 'https://w.example', 'https://x.example', 'img.png', 'mailto:someone@example.com'].sort(),
    );
  });

  for (const file of markdownFiles()) {
    const name = relative(ROOT, file);
    it(`${name} links only inside the repository`, () => {
      const md = readFileSync(file, 'utf8');
      const targets = linkTargets(md);
      expect(targets.filter(external), `${name} links outside the repository`).toEqual([]);
      for (const t of targets) {
        const path = decodeURIComponent(t.split('#')[0]);
        if (path === '') continue; // an anchor in the same file
        const abs = resolve(dirname(file), path);
        expect(relative(ROOT, abs).startsWith('..'), `${name}: ${t} leaves the repository`).toBe(false);
        expect(existsSync(abs), `${name}: ${t} does not exist`).toBe(true);
      }
    });
  }
});

describe('README reference sections', () => {
  it('the CLI reference is the text of every --help', () => {
    const section = readme.slice(readme.indexOf('## CLI reference'));
    for (const [command, text] of Object.entries(USAGE)) {
      expect(section.includes(`\`\`\`text\n${text}\n\`\`\``), `README's CLI reference lacks the current --help of ${command}`).toBe(true);
    }
  });

  it('the configuration table has every option of createUpbitHub', () => {
    const hub = readFileSync(join(ROOT, 'src/actors/hub-api.ts'), 'utf8');
    const body = hub.slice(hub.indexOf('export interface UpbitHubOptions {'), hub.indexOf('\n}\n', hub.indexOf('export interface UpbitHubOptions {')));
    const options = [...body.matchAll(/^ {2}([A-Za-z]+)\?:/gm)].map((m) => m[1]);
    expect(options.length).toBeGreaterThan(15);
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Errors'));
    for (const o of options) expect(section, `option ${o} is missing from README's configuration table`).toMatch(new RegExp(`^\\| \`${o}(\\.[A-Za-z]+)?\``, 'm'));
  });

  it('the error table has every error code', () => {
    const errors = readFileSync(join(ROOT, 'src/io/errors.ts'), 'utf8');
    const union = errors.slice(errors.indexOf('export type UpbitErrorCode ='), errors.indexOf(';', errors.indexOf('export type UpbitErrorCode =')));
    const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(15);
    const section = readme.slice(readme.indexOf('## Errors'), readme.indexOf('## CLI reference'));
    for (const c of codes) expect(section, `error code ${c} is missing from README's error table`).toContain(`\`${c}\``);
  });
});
