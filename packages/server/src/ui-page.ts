/**
 * The web UI served at `/`: one HTML page plus plain ES modules and a stylesheet under `/ui/`,
 * read from `packages/server/static/` (the same `../static/` relative to `src/` under tsx and
 * to `dist/` after `tsc`). No build step: the browser loads the modules as they are. The page
 * has no inline script or style, so it runs under the strict {@link UI_CONTENT_SECURITY_POLICY}.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The Content-Security-Policy to send with the page (and harmless on its assets). Trusted Types
 * with no policy at all: the page builds its DOM from text nodes only, and the browser enforces
 * it (a string handed to `innerHTML` or any other HTML or script sink throws).
 */
export const UI_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; require-trusted-types-for 'script'; trusted-types 'none'";

/** URL paths of the page, its entry module and its stylesheet. */
export const UI_PATHS = Object.freeze({ html: '/', js: '/ui/app.js', css: '/ui/app.css' });

/** `Content-Type` of each kind of asset. */
export const UI_CONTENT_TYPES = Object.freeze({
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml; charset=utf-8',
  png: 'image/png',
  ico: 'image/x-icon',
});

/** The file extensions served from `static/`, and their content types. Anything else is not served. */
const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = Object.freeze({
  '.html': UI_CONTENT_TYPES.html,
  '.js': UI_CONTENT_TYPES.js,
  '.css': UI_CONTENT_TYPES.css,
  '.svg': UI_CONTENT_TYPES.svg,
  '.png': UI_CONTENT_TYPES.png,
  '.ico': UI_CONTENT_TYPES.ico,
});

/** One served file. */
export interface UiAsset {
  readonly path: string;
  readonly contentType: string;
  readonly body: string | Buffer;
}

/** The page and its assets. */
export interface UiAssets {
  readonly html: string;
  readonly js: string;
  readonly css: string;
  /** Every served file by URL path: `/` for index.html, `/ui/<path under static/>` for the rest. */
  readonly files: ReadonlyMap<string, UiAsset>;
}

let cached: UiAssets | undefined;

/** The directory the assets are read from. */
export function uiStaticDir(): string {
  return fileURLToPath(new URL('../static/', import.meta.url));
}

function walk(dir: string, prefix: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) walk(join(dir, entry.name), rel, out);
    else if (entry.isFile()) out.push(rel);
  }
}

function readAssets(): UiAssets {
  const dir = uiStaticDir();
  const relPaths: string[] = [];
  walk(dir, '', relPaths);
  const files = new Map<string, UiAsset>();
  for (const rel of relPaths) {
    const contentType = TYPES_BY_EXTENSION[extname(rel).toLowerCase()];
    // Only the one page is HTML; names outside a plain alphabet are not served at all.
    if (contentType === undefined || !/^[A-Za-z0-9_\-/.]+$/.test(rel) || rel.includes('..')) continue;
    if (contentType === UI_CONTENT_TYPES.html && rel !== 'index.html') continue;
    const path = rel === 'index.html' ? UI_PATHS.html : `/ui/${rel}`;
    const binary = !contentType.includes('charset');
    const body = binary ? readFileSync(join(dir, rel)) : readFileSync(join(dir, rel), 'utf8');
    files.set(path, Object.freeze({ path, contentType, body }));
  }
  const text = (path: string): string => {
    const asset = files.get(path);
    if (asset === undefined || typeof asset.body !== 'string') throw new Error(`The web UI is missing ${path} (looked in ${dir}).`);
    return asset.body;
  };
  return Object.freeze({ html: text(UI_PATHS.html), js: text(UI_PATHS.js), css: text(UI_PATHS.css), files });
}

/** The page, its modules and its stylesheet; read from disk on the first call only. */
export function uiAssets(): UiAssets {
  cached ??= readAssets();
  return cached;
}
