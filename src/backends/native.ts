import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { BackendImpl, FrameEngine } from './engine.js';
import { type AddonEventContext, NativeEventEngine } from './native-event-engine.js';

interface NativeAddon {
  EventContext: AddonEventContext;
  FrameContext: new () => FrameEngine;
  /** `malloc_trim(0)` where the C library has it: whether memory went back to the system. */
  trimMemory(): boolean;
}

/**
 * The package root, where node-gyp-build looks for build/Release and prebuilds/: the
 * nearest folder above this file whose package.json is this package's. This file runs from
 * src/backends/ in development and from dist/cjs/backends/ when installed.
 */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
      };
      if (manifest.name === 'wslay') return dir;
    } catch {
      // No readable package.json here: keep walking up.
    }
    if (path.dirname(dir) === dir) return path.resolve(start, '..', '..');
  }
}

export const packageRoot = findPackageRoot(__dirname);

export type NativeLoad =
  | {
      ok: true;
      backend: BackendImpl;
      trimMemory: () => boolean;
      /** The addon file that loaded. */
      file: string;
    }
  | { ok: false; reason: string };

/**
 * Loads the addon the way node-gyp-build does: a local build in build/Release first,
 * then the prebuild for this platform in prebuilds/.
 */
export function loadNativeBackend(root: string = packageRoot): NativeLoad {
  try {
    const require = createRequire(path.join(packageRoot, 'package.json'));
    const load = require('node-gyp-build') as { resolve(dir: string): string };
    const file = load.resolve(root);
    const addon = require(file) as NativeAddon;
    return {
      ok: true,
      file,
      backend: {
        createEventEngine: (server, callbackMask) =>
          new NativeEventEngine(addon.EventContext, server, callbackMask),
        createFrameEngine: () => new addon.FrameContext(),
      },
      trimMemory: () => addon.trimMemory(),
    };
  } catch (error) {
    return { ok: false, reason: (error as Error).message.split('\n')[0] ?? String(error) };
  }
}
