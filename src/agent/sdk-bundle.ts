import { buildSync } from 'esbuild';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

let built: string | null = null;

/**
 * The official worker SDK for the browser, as one file. twilio-taskrouter's npm package ships a
 * "window" build (dist/index.window.js) that still `require`s its dependencies (axios, events,
 * loglevel, lodash, @babel/runtime...), so a page cannot load it alone. esbuild (already here, as
 * tsx's engine) bundles that file, unmodified, with those dependencies into one script that sets
 * `window.TaskRouter`, as Twilio's CDN build does. Built once per process, on first request, into
 * a temporary file; `ws` stays out: the SDK uses the browser's own WebSocket when there is one.
 */
export function taskRouterBrowserBundle(): string {
  if (built && existsSync(built)) return built;
  const pkgFile = require.resolve('twilio-taskrouter/package.json');
  const { version } = require(pkgFile) as { version: string };
  const entry = join(dirname(pkgFile), 'dist', 'index.window.js');
  const dir = join(tmpdir(), 'switchyard-vendor');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `twilio-taskrouter-${version}-${process.pid}.js`);
  const partial = `${out}.${Date.now()}.part`;
  buildSync({
    stdin: { contents: `window.TaskRouter = require(${JSON.stringify(entry)});`, resolveDir: dirname(entry), loader: 'js', sourcefile: 'twilio-taskrouter-browser.js' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    minify: true,
    external: ['ws'],
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'inline',
    outfile: partial,
    logLevel: 'silent',
  });
  renameSync(partial, out);
  built = out;
  return out;
}
