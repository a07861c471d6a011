import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Tessera } from 'tessera';
import { uiAssets, UI_CONTENT_SECURITY_POLICY } from './ui-page.js';

/**
 * Serves the web UI: one HTML page and its script and style, each a separate file so the
 * Content-Security-Policy can forbid inline scripts and styles entirely.
 */
export function registerUi(app: FastifyInstance, _auth: Tessera): void {
  const assets = uiAssets();
  const page = (type: string, body: string) => async (_request: unknown, reply: FastifyReply) => {
    reply.header('content-type', type);
    reply.header('content-security-policy', UI_CONTENT_SECURITY_POLICY);
    reply.header('x-frame-options', 'DENY');
    reply.header('cache-control', 'no-cache');
    return body;
  };
  app.get('/', page('text/html; charset=utf-8', assets.html));
  app.get('/ui/app.js', page('text/javascript; charset=utf-8', assets.js));
  app.get('/ui/app.css', page('text/css; charset=utf-8', assets.css));
}
