#!/usr/bin/env node
/**
 * The package's command (`npx wslay doctor`): which backend this machine gets and why, the
 * addon file and the wslay library it loaded. npm hides the install step's own line, so this
 * is how a user sees it.
 */
import fs from 'node:fs';
import path from 'node:path';

const USAGE = `usage: wslay doctor    which backend this machine gets, and why`;

/** The wslay shared libraries this process has mapped (Linux), without duplicates. */
function loadedWslayLibraries(): string[] | null {
  let maps: string;
  try {
    maps = fs.readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return null;
  }
  const files = maps
    .split('\n')
    .map((line) => line.split(/\s+/).slice(5).join(' '))
    .filter((file) => /\/libwslay[^/]*$/.test(file));
  return [...new Set(files)];
}

function row(label: string, value: string): string {
  return `${label.padEnd(9)} ${value}`;
}

async function doctor(): Promise<number> {
  const { packageRoot } = await import('./backends/native.js');
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  console.log(
    `wslay ${manifest.version} on Node ${process.version}, ${process.platform}-${process.arch}`,
  );
  let select: typeof import('./backends/select.js');
  try {
    select = await import('./backends/select.js');
  } catch (error) {
    // WSLAY_BACKEND names no backend, or forces one that cannot load: importing the package
    // throws this same error.
    console.log(row('backend', 'none: importing wslay throws'));
    console.log(row('why', (error as Error).message));
    return 1;
  }
  const { defaultBackend, nativeAddonFile, nativeLoadError } = select;
  const forced = process.env.WSLAY_BACKEND;
  console.log(row('backend', defaultBackend));
  if (forced !== undefined && forced !== '') {
    console.log(row('why', `WSLAY_BACKEND=${forced} asks for it`));
  } else if (nativeLoadError === null) {
    console.log(row('why', 'the native addon loaded (WSLAY_BACKEND is not set)'));
  } else {
    console.log(row('why', `the native addon did not load: ${nativeLoadError}`));
  }

  if (nativeAddonFile === null) {
    console.log(row('addon', `none (${nativeLoadError ?? 'not loaded'})`));
    console.log(row('wslay', "none loaded: the fallback is wslay 1.1.1's behaviour in TypeScript"));
    return 0;
  }
  const kind = nativeAddonFile.includes(`${path.sep}prebuilds${path.sep}`)
    ? 'prebuild'
    : 'built here';
  const use = defaultBackend === 'native' ? '' : ", for contexts made with { backend: 'native' }";
  console.log(row('addon', `${nativeAddonFile} (${kind}${use})`));
  const libraries = loadedWslayLibraries();
  if (libraries === null || libraries.length === 0) {
    console.log(row('wslay', '>= 1.1 (the addon needs its API); the file is not known here'));
  } else {
    for (const file of libraries) {
      const origin = path.dirname(file) === path.dirname(nativeAddonFile) ? 'bundled' : 'system';
      console.log(row('wslay', `>= 1.1 (the addon needs its API): ${file} (${origin})`));
    }
  }
  return 0;
}

async function main(args: string[]): Promise<number> {
  if (args.length === 1 && args[0] === 'doctor') return doctor();
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    console.log(USAGE);
    return 0;
  }
  console.error(USAGE);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
