import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { problemBody, problemResponse } from '../problem';

const ASSETS = '/swagger/assets';

/**
 * Runs Swagger UI on the page. A file of its own rather than an inline script, so that the page's
 * Content-Security-Policy can forbid every script, style, image and fetch from anywhere but here.
 * `validatorUrl: null`: Swagger UI would otherwise send the document to validator.swagger.io.
 */
const initializer = (documentUrl: string) => `window.ui = SwaggerUIBundle(${JSON.stringify({
  url: documentUrl,
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  validatorUrl: null,
})});\n`;

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Model Registry — Swagger UI</title>
    <link rel="stylesheet" href="${ASSETS}/swagger-ui.css" />
    <link rel="icon" type="image/png" href="${ASSETS}/favicon-32x32.png" sizes="32x32" />
    <link rel="icon" type="image/png" href="${ASSETS}/favicon-16x16.png" sizes="16x16" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${ASSETS}/swagger-ui-bundle.js"></script>
    <script src="${ASSETS}/swagger-initializer.js"></script>
  </body>
</html>
`;

// Swagger UI sets style attributes and draws its icons as data: images.
const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const DIST_FILES = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
} as const;

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

const asset = (body: Uint8Array<ArrayBuffer>, type: string): Asset => ({ body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });

// Read once per process, on first use: the bundle is about 1.5 MB and every app instance serves the same files.
let distAssets: Map<string, Asset> | undefined;
function loadDist(): Map<string, Asset> {
  if (!distAssets) {
    const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    distAssets = new Map(Object.entries(DIST_FILES).map(([file, type]) => [file, asset(new Uint8Array(readFileSync(join(dir, file))), type)]));
  }
  return distAssets;
}

/**
 * Swagger UI at `/swagger`, served entirely by this service from the `swagger-ui-dist` package (no
 * CDN: the clusters this runs in are often air-gapped). Assets are revalidated by ETag after a day.
 */
export function createSwaggerUiRouter(opts: { documentUrl: string }) {
  const router = new Hono();
  const init = asset(new TextEncoder().encode(initializer(opts.documentUrl)), 'text/javascript; charset=utf-8');

  router.get('/swagger', (c) => {
    c.header('content-security-policy', PAGE_CSP);
    c.header('cache-control', 'no-cache');
    return c.html(page);
  });
  router.get(`${ASSETS}/:file`, (c) => {
    const file = c.req.param('file');
    const found = file === 'swagger-initializer.js' ? init : loadDist().get(file);
    // Its own 404: the app's not-found handler would answer 405, the path pattern being known.
    if (!found) return problemResponse(c, problemBody(404, 'not-found', 'Not found', `no Swagger UI asset ${file}`));
    c.header('etag', found.etag);
    c.header('cache-control', 'public, max-age=86400');
    c.header('x-content-type-options', 'nosniff');
    if (c.req.header('if-none-match') === found.etag) return c.body(null, 304);
    c.header('content-type', found.type);
    return c.body(found.body, 200);
  });
  return router;
}
