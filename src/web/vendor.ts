import { build } from 'esbuild';
import { mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** An npm package's browser build, and the global a page reads it from (as Twilio's CDN build sets it). */
interface VendorBundle {
  pkg: string;
  /** The package's browser build, relative to the package. */
  file: string;
  /** window.<path>: `Twilio.Conversations` sets window.Twilio.Conversations, keeping any other window.Twilio.* */
  global: string;
}

/**
 * The official SDKs the pages run, served under /vendor/ by a fixed name (never a path from the
 * request). Their npm browser builds still `require` their dependencies (axios, events, loglevel,
 * twilsock, twilio-sync, @babel/runtime, core-js...), so a page cannot load them alone.
 */
const BUNDLES: Record<string, VendorBundle> = {
  'twilio-taskrouter.js': { pkg: 'twilio-taskrouter', file: 'dist/index.window.js', global: 'TaskRouter' },
  'twilio-conversations.js': { pkg: '@twilio/conversations', file: 'builds/browser.js', global: 'Twilio.Conversations' },
};

const built = new Map<string, Promise<string>>();

/** The names served (tests, the page's script tags). */
export const VENDOR_NAMES: readonly string[] = Object.keys(BUNDLES);

/**
 * The file of bundle `name`, or undefined for a name that is not one. esbuild (already here, as
 * tsx's engine) bundles the package's browser build, unmodified, with its dependencies into one
 * script that sets the global; built once per process, on first request, into a temporary file.
 * `ws` stays out: the SDKs use the browser's own WebSocket.
 */
export function vendorBundle(name: string): Promise<string> | undefined {
  if (!Object.hasOwn(BUNDLES, name)) return undefined;
  let file = built.get(name);
  if (!file) {
    file = bundle(BUNDLES[name]);
    // A failed build is tried again by the next request.
    file.catch(() => built.delete(name));
    built.set(name, file);
  }
  return file;
}

async function bundle(b: VendorBundle): Promise<string> {
  const pkgFile = require.resolve(`${b.pkg}/package.json`);
  const { version } = require(pkgFile) as { version: string };
  const entry = join(dirname(pkgFile), b.file);
  const dir = join(tmpdir(), 'switchyard-vendor');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${b.pkg.replace(/[@/]/g, '_')}-${version}-${process.pid}.js`);
  const partial = `${out}.${Date.now()}.part`;
  const path = b.global.split('.');
  const parents = path.slice(0, -1).map((_, i) => `window.${path.slice(0, i + 1).join('.')} = window.${path.slice(0, i + 1).join('.')} || {};`);
  await build({
    stdin: { contents: `${parents.join(' ')} window.${b.global} = require(${JSON.stringify(entry)});`, resolveDir: dirname(entry), loader: 'js', sourcefile: `${b.pkg}-browser.js` },
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
  return out;
}
