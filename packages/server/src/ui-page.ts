/**
 * The web UI served at `/`: one HTML page plus `/ui/app.js` and `/ui/app.css`, read from
 * `packages/server/static/` (the same `../static/` relative to `src/` under tsx and to `dist/`
 * after `tsc`). The page has no inline script or style, so it runs under the strict
 * {@link UI_CONTENT_SECURITY_POLICY}.
 */
import { readFileSync } from 'node:fs';

/** The Content-Security-Policy to send with the page (and harmless on its assets). */
export const UI_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** URL paths of the page and its assets. */
export const UI_PATHS = Object.freeze({ html: '/', js: '/ui/app.js', css: '/ui/app.css' });

/** `Content-Type` of each asset. */
export const UI_CONTENT_TYPES = Object.freeze({
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
});

/** The page and its assets, as text. */
export interface UiAssets {
  readonly html: string;
  readonly js: string;
  readonly css: string;
}

let cached: UiAssets | undefined;

function read(name: string): string {
  return readFileSync(new URL(`../static/${name}`, import.meta.url), 'utf8');
}

/** The page, its script and its stylesheet; read from disk on the first call only. */
export function uiAssets(): UiAssets {
  cached ??= Object.freeze({ html: read('index.html'), js: read('app.js'), css: read('app.css') });
  return cached;
}
