/**
 * The rendered reference: `redocly build-docs --inlineBundle` (Redoc 3) on the guide-injected
 * bundle, made to work with no network at all:
 * - Redoc's scripts are inlined (`--inlineBundle`), its telemetry is off (`REDOCLY_TELEMETRY=off`
 *   turns `disableTelemetry` on in the page as well as in the CLI);
 * - the two images it would fetch from its CDN (the "API docs by Redocly" badge) become data: URIs,
 *   and the page declares an empty favicon, so loading it makes no request beyond the page itself;
 * - the result is scanned, and the build fails if anything would still load from elsewhere.
 * Navigation: the page is built for a base path (`/docs` as the mock serves it) and picks its router
 * when it loads, so the same file works wherever it is opened:
 * - over http(s), Redoc's history router under the base path the page finds itself at (the built
 *   one, or any other a host puts it under), and a problem `type` URI (`<base>/errors#<code>`)
 *   maps onto the code's route (`<base>/errors/<code>`);
 * - from disk (`file://`, where there is no server to answer deep paths), the hash router
 *   (`index.html#/errors/<code>`; `index.html#<code>` maps onto it too).
 * When the router or base differs from the built ones, the prerendered links and section ids, and
 * the guides' links (written for the built base), are rewritten to match before Redoc hydrates.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../contract/index.js';
import { slug } from './format.js';
import { normaliseBase } from './links.js';

export interface RenderOptions {
  /** The guide-injected bundle (JSON). */
  specFile: string;
  outFile: string;
  basePath: string;
  /** Title of the Errors guide, whose route is the path of every problem `type` URI. */
  errorsTitle: string;
}

/** What Redoc would fetch from its CDN → a local stand-in. */
const OFFLINE_REWRITES: [string, string][] = [
  // The "API docs by Redocly" badge in the sidebar, loaded on every page view.
  ['https://cdn.redoc.ly/redoc/logo-mini-full.svg', svgText('Redocly', 44)],
  ['https://cdn.redoc.ly/redoc/logo-mini.svg', svgText('R', 10)],
  // Base URLs of icon sets for sidebar icons (`x-icon`-style extensions this contract does not use):
  // an empty data: URL, so an icon would render blank instead of calling out.
  ['https://cdn.redocly.com/icons/fa/7.0.0', 'data:,'],
  ['https://cdn.redocly.com/icons/code/5.24.0', 'data:,'],
];

/** Patterns that would make the page load something from another host. */
const REMOTE_LOADS: RegExp[] = [
  /https?:\/\/cdn\.[a-z0-9.-]+\/[^"'`\s)]*/gi,
  /https?:\/\/fonts\.(googleapis|gstatic)\.com[^"'`\s)]*/gi,
  /<(script|img|iframe)[^>]+src=["']https?:[^"']+/gi,
  /<link[^>]+href=["']https?:[^"']+/gi,
  /@import\s+url\(["']?https?:[^)]+/gi,
];

function svgText(text: string, width: number): string {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="12" viewBox="0 0 ${width} 12">` +
    `<text x="0" y="10" font-family="sans-serif" font-size="10" fill="#5a6270">${text}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/**
 * Runs in <head>, before Redoc's (deferred, module) script reads the location: chooses the router
 * and base path (`window.__traceloomRedoc`, merged into Redoc's options) and defines
 * `__traceloomLinks(root)`, which rewrites links written for the built base.
 */
function routingScript(basePath: string, errorsTitle: string, topRoutes: string[]): string {
  const built = normaliseBase(basePath);
  return String.raw`(function () {
  var built = ${JSON.stringify(built)}, errors = ${JSON.stringify(slug(errorsTitle))}, tops = ${JSON.stringify(topRoutes)};
  var CODE = /^[A-Za-z0-9_.-]+$/, hash = location.hash, code = decodeURIComponent(hash.slice(1));
  var router = 'history', base = built;
  if (location.protocol === 'file:') {
    // No server answers deep paths on disk: Redoc's hash router (index.html#/errors/<code>).
    router = 'hash';
    base = '';
    if (CODE.test(code)) history.replaceState(null, '', '#/' + errors + '/' + code.toLowerCase());
  } else {
    // The base is where the page is: the directory of index.html, or the path before a route
    // (<tag>[/<item>[/<section>]]; the longest such tail wins).
    var path = location.pathname;
    if (/\/(index\.html)?$/.test(path)) base = path.replace(/\/(index\.html)?$/, '');
    else {
      var segs = path.split('/');
      base = path;
      for (var i = Math.max(1, segs.length - 3); i < segs.length; i++) if (tops.indexOf(segs[i]) >= 0) { base = segs.slice(0, i).join('/'); break; }
    }
    if (/\/index\.html$/.test(path)) history.replaceState(null, '', base + '/' + location.search + hash);
    // A problem type URI is <docs>/errors#<code> (RFC 9457 §3.1.1); Redoc routes each code at <docs>/errors/<code>.
    if (location.pathname.replace(/\/+$/, '') === base + '/' + errors && CODE.test(code)) history.replaceState(null, '', base + '/' + errors + '/' + code.toLowerCase());
  }
  window.__traceloomRedoc = { router: router, basePath: router === 'hash' ? '/' : base || '/' };
  var same = router === 'history' && base === built;
  // A route written for the built base -> the same route under this page's router and base.
  function rest(value) {
    if (value !== built && value.indexOf(built + '/') !== 0) return null;
    var r = value.slice(built.length);
    return r === '' || r === '/' || tops.indexOf(r.split('/')[1].split('#')[0]) >= 0 ? r.replace(/\/$/, '') : null;
  }
  function fix(el) {
    var href = el.getAttribute('href'), id = el.getAttribute('data-section-id'), r;
    if (href !== null && (r = rest(href)) !== null) el.setAttribute('href', router === 'hash' ? '#' + (r || '/') : base + r);
    if (id !== null && (r = rest(id)) !== null) el.setAttribute('data-section-id', router === 'hash' ? r || '/' : base + r);
  }
  var SELECTOR = 'a[href], [data-section-id]', observing = false;
  // Called once right before Redoc hydrates; then links rendered later (the guides' Markdown is
  // written for the built base) are rewritten as they appear.
  window.__traceloomLinks = function (root) {
    if (same) return;
    root.querySelectorAll(SELECTOR).forEach(fix);
    if (observing) return;
    observing = true;
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        record.addedNodes.forEach(function (n) {
          if (n.nodeType !== 1) return;
          if (n.matches(SELECTOR)) fix(n);
          n.querySelectorAll(SELECTOR).forEach(fix);
        });
      });
    }).observe(document.documentElement, { childList: true, subtree: true });
  };
})();`;
}

/** Redoc's options, merged with the router and base the page chose when it loaded. */
const OPTIONS_DECLARATION = /const __redoc_options = (\{[^\n]*\});/;

/**
 * Wires the routing script into a built page: Redoc reads the chosen router and base, and the
 * prerendered links are rewritten (when needed) right before it hydrates.
 */
export function routeAtLoad(html: string): string {
  if (!OPTIONS_DECLARATION.test(html)) throw new Error('Unexpected build-docs output: no `const __redoc_options = {…};` to extend (src/docs/redoc.ts).');
  const at = html.indexOf('<script type="module">', html.indexOf('<div id="redoc">'));
  if (at < 0) throw new Error('Unexpected build-docs output: no Redoc module script (src/docs/redoc.ts).');
  return (
    html.slice(0, at) +
    '<script>window.__traceloomLinks(document);</script>\n      ' +
    html.slice(at).replace(OPTIONS_DECLARATION, (_m, options: string) => `const __redoc_options = Object.assign(${options}, window.__traceloomRedoc);`)
  );
}

/** The page template (handlebars, as `build-docs --template` takes it). */
function template(basePath: string, errorsTitle: string, topRoutes: string[]): string {
  const anchorScript = routingScript(basePath, errorsTitle, topRoutes);
  return `<!DOCTYPE html>
<!-- generated by \`npm run docs\` from openapi/ — do not edit -->
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>{{title}}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <style>
    body { padding: 0; margin: 0; }
  </style>
  <script>
${anchorScript}
  </script>
  {{{redocHead}}}
</head>
<body>
  {{{redocHTML}}}
</body>
</html>
`;
}

/** The `redocly` bin: beside this package, else in the current project; says what to install when absent. */
export function redoclyBin(): string {
  let require = createRequire(import.meta.url);
  let pkgFile: string | undefined;
  for (const from of [import.meta.url, join(process.cwd(), 'package.json')]) {
    try {
      require = createRequire(from);
      pkgFile = require.resolve('@redocly/cli/package.json');
      break;
    } catch {
      // not there; try the next place
    }
  }
  if (!pkgFile) {
    const pinned =
      (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> }).devDependencies?.['@redocly/cli'] ??
      'latest';
    throw Object.assign(
      new Error(
        'the rendered reference is built by @redocly/cli, a development tool the traceloom package does not install for every user; ' +
          'install it in this project (`npm i -D @redocly/cli@' +
          pinned +
          '`) and run the command again — `traceloom start` without --root serves the docs the package ships',
      ),
      { code: 'ERR_TRACELOOM_TOOL_MISSING' },
    );
  }
  const pkg = require(pkgFile) as { bin: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.redocly;
  if (!bin) throw new Error('@redocly/cli has no `redocly` bin; reinstall it with `npm ci`.');
  return join(dirname(pkgFile), bin);
}

function run(args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      if (status === 0) resolvePromise(output);
      else reject(new Error(`redocly build-docs failed (exit ${status}):\n${output.trim()}`));
    });
  });
}

/**
 * `build-docs` prerenders the page for base path `/`, while the page hydrates under `basePath`;
 * React keeps prerendered attributes on hydration, so the prerendered links (`href="/ingest"`)
 * and section ids would stay wrong until the first client navigation. Rebase them to match.
 */
export function rebasePrerendered(html: string, basePath: string): string {
  const base = normaliseBase(basePath);
  if (base === '') return html;
  const start = html.indexOf('<div id="redoc">');
  const end = html.indexOf('<script type="module">', start);
  if (start < 0 || end < 0) throw new Error('Unexpected build-docs output: no prerendered <div id="redoc"> before its module script (src/docs/redoc.ts).');
  const rebased = html
    .slice(start, end)
    .replace(/(href|data-section-id)="\/(?!\/)([^"]*)"/g, (_m, attr: string, rest: string) => `${attr}="${base}${rest ? `/${rest}` : ''}"`);
  return html.slice(0, start) + rebased + html.slice(end);
}

/** Makes an inlined Redoc page self-contained; throws when something would still load remotely. */
export function makeOffline(html: string): string {
  let out = html;
  for (const [from, to] of OFFLINE_REWRITES) out = out.split(from).join(to);
  const remote = REMOTE_LOADS.flatMap((re) => out.match(re) ?? []);
  if (remote.length > 0) {
    throw new Error(
      `The rendered reference would load ${[...new Set(remote)].slice(0, 5).join(', ')} from the network. ` +
        'Add a local stand-in to OFFLINE_REWRITES in src/docs/redoc.ts (or pin @redocly/cli to a version that inlines it).',
    );
  }
  if (!/"disableTelemetry":true/.test(out)) {
    throw new Error('The rendered reference has Redoc telemetry on; src/docs/redoc.ts must run build-docs with REDOCLY_TELEMETRY=off.');
  }
  return out;
}

/** Renders `specFile` to a self-contained HTML page at `outFile`. */
export async function renderReference({ specFile, outFile, basePath, errorsTitle }: RenderOptions): Promise<void> {
  // Redoc's first route segment is a tag's slug (guides are tags too).
  const spec = JSON.parse(await readFile(specFile, 'utf8')) as { tags?: { name: string }[] };
  const topRoutes = (spec.tags ?? []).map((t) => slug(t.name)).sort();
  // An empty working directory, so no redocly.yaml of the caller's changes the page.
  const work = await mkdtemp(join(tmpdir(), 'traceloom-docs-'));
  try {
    const templateFile = join(work, 'page.hbs');
    await writeFile(templateFile, template(basePath, errorsTitle, topRoutes));
    const rawFile = join(work, 'index.html');
    await run(
      [
        redoclyBin(),
        'build-docs',
        specFile,
        '--inlineBundle',
        '--output',
        rawFile,
        '--template',
        templateFile,
        '--openapi.router=history',
        `--openapi.basePath=${normaliseBase(basePath) || '/'}`,
      ],
      work,
    );
    await writeFile(outFile, makeOffline(routeAtLoad(rebasePrerendered(await readFile(rawFile, 'utf8'), basePath))));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
