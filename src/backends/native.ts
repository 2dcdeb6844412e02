import path from 'node:path';
import { createRequire } from 'node:module';
import type { BackendImpl, EventEngine, FrameEngine } from './engine.js';

interface NativeAddon {
  EventContext: new (server: boolean, callbackMask: number) => EventEngine;
  FrameContext: new () => FrameEngine;
}

/** The package root: this file sits two levels below it, in src/ and in dist/cjs/. */
const packageRoot = path.resolve(__dirname, '..', '..');

export type NativeLoad = { ok: true; backend: BackendImpl } | { ok: false; reason: string };

/**
 * Loads the addon the way node-gyp-build does: a local build in build/Release first,
 * then the prebuild for this platform in prebuilds/.
 */
export function loadNativeBackend(root: string = packageRoot): NativeLoad {
  try {
    const load = createRequire(path.join(packageRoot, 'package.json'))('node-gyp-build') as
      (dir: string) => NativeAddon;
    const addon = load(root);
    return {
      ok: true,
      backend: {
        createEventEngine: (server, callbackMask) => new addon.EventContext(server, callbackMask),
        createFrameEngine: () => new addon.FrameContext(),
      },
    };
  } catch (error) {
    return { ok: false, reason: (error as Error).message.split('\n')[0] ?? String(error) };
  }
}
