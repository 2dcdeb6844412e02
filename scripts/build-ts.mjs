#!/usr/bin/env node
// Compiles src/ for publishing:
//   dist/cjs/**.js + .d.ts        CommonJS, by tsc with tsconfig.json (outDir dist/cjs);
//                                 `require('wslay')` is dist/cjs/default-export.js: the
//                                 WebSocket class carrying every export of index.ts, as ws's is
//   dist/esm/<entry>.mjs + .d.mts the ESM entries (`wslay`: index, `wslay/redis`: redis): thin
//                                 wrappers that re-export the CommonJS build, so `import`
//                                 and `require` share one copy of every class and one loaded
//                                 addon (no dual-package hazard); `wslay`'s default export is
//                                 the WebSocket class, as ws's
// Each wrapper names every runtime export of src/<entry>.ts, listed with TypeScript's
// compiler API, so Node needs no guessing (cjs-module-lexer) to find them. The same listing
// checks that src/default-export.ts carries every export of src/index.ts, as value and type.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const ts = require('typescript');
const dist = path.join(root, 'dist');
const cjsDir = path.join(dist, 'cjs');
const esmDir = path.join(dist, 'esm');

function fail(message) {
  console.error(`build-ts: ${message}`);
  process.exit(1);
}

// 1. CommonJS + declarations, with the project's own tsconfig.json.
fs.rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')],
  { stdio: 'inherit', cwd: root },
);
if (tsc.status !== 0) fail(`tsc exited with ${tsc.status ?? tsc.signal}`);
/** Each ESM entry, and the CommonJS module whose `module.exports` it is. */
const entries = [
  { name: 'index', main: 'default-export' },
  { name: 'redis', main: 'redis' },
];
const built = [...entries.flatMap((e) => [e.name, e.main]), 'backends/native'];
for (const file of [...new Set(built)].flatMap((e) => [`${e}.js`, `${e}.d.ts`])) {
  if (file === 'backends/native.d.ts') continue;
  if (!fs.existsSync(path.join(cjsDir, file))) fail(`tsc did not write dist/cjs/${file}`);
}

// 2. The exports of src/<entry>.ts: the runtime (value) ones go into the ESM wrapper by name;
// type-only exports stay in the .d.mts.
const configPath = path.join(root, 'tsconfig.json');
const config = ts.getParsedCommandLineOfConfigFile(
  configPath,
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) =>
      fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  },
);
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const checker = program.getTypeChecker();

function moduleOf(entryName) {
  const source = program.getSourceFile(path.join(root, 'src', `${entryName}.ts`));
  if (source === undefined) fail(`src/${entryName}.ts is not in the program`);
  return checker.getSymbolAtLocation(source);
}

function listExports(entryName) {
  const values = [];
  const classes = [];
  const types = [];
  for (const symbol of checker.getExportsOfModule(moduleOf(entryName))) {
    const typeOnly = (symbol.declarations ?? []).some(
      (decl) =>
        (ts.isExportSpecifier(decl) && (decl.isTypeOnly || decl.parent.parent.isTypeOnly)) ||
        (ts.isImportSpecifier(decl) && decl.isTypeOnly),
    );
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (typeOnly || !(target.flags & ts.SymbolFlags.Value)) types.push(symbol.name);
    else values.push(symbol.name);
    if (!typeOnly && target.flags & ts.SymbolFlags.Class) classes.push(symbol.name);
  }
  if (values.includes('default'))
    fail(`src/${entryName}.ts has a default export; the ESM wrapper does not handle it`);
  return { values: values.sort(), classes, types };
}

/**
 * `export =` of a value merged with a namespace (default-export.ts): its types are the
 * namespace's members and its values the properties of the value's type. Every export of
 * index.ts must be there; classes as both (`WebSocket.EventContext`).
 */
function checkDefaultExport({ values, classes, types }, mainName) {
  const exported = checker.resolveExternalModuleSymbol(moduleOf(mainName));
  const entryTypes = new Set(
    [...(exported.exports?.values() ?? [])]
      .filter((s) => s.flags & ts.SymbolFlags.Type)
      .map((s) => s.name),
  );
  const entryValues = new Set(
    checker
      .getTypeOfSymbolAtLocation(exported, exported.declarations[0])
      .getProperties()
      .map((s) => s.name),
  );
  const missing = [
    ...values.filter((name) => !entryValues.has(name)).map((name) => `the value ${name}`),
    ...[...types, ...classes]
      .filter((name) => !entryTypes.has(name))
      .map((name) => `the type ${name}`),
  ];
  if (missing.length > 0) fail(`src/${mainName}.ts does not carry ${missing.join(', ')}`);
}

const banner =
  '// Generated by scripts/build-ts.mjs. The ESM entry re-exports the CommonJS build, so\n' +
  '// `import` and `require` share one copy of every class and one loaded addon.\n';
fs.mkdirSync(esmDir, { recursive: true });
const counts = [];
for (const { name: entryName, main } of entries) {
  const listed = listExports(entryName);
  const names = listed.values;
  if (names.length === 0) fail(`src/${entryName}.ts has no runtime exports`);
  const hasDefault = main !== entryName;
  if (hasDefault) checkDefaultExport(listed, main);
  counts.push(`${entryName} ${names.length}`);
  fs.writeFileSync(
    path.join(esmDir, `${entryName}.mjs`),
    `${banner}import cjs from '../cjs/${main}.js';\n\n` +
      (hasDefault ? 'export default cjs;\n' : '') +
      `export const {\n${names.map((name) => `  ${name},`).join('\n')}\n} = cjs;\n`,
  );
  fs.writeFileSync(
    path.join(esmDir, `${entryName}.d.mts`),
    banner +
      (hasDefault ? `import main from '../cjs/${main}.js';\n\nexport default main;\n` : '') +
      `export * from '../cjs/${entryName}.js';\n`,
  );

  // 3. The wrapper must export exactly what the CommonJS build exports, under the same names,
  // and `wslay`'s default export must be the WebSocket class with Server.
  const check = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
  import { createRequire } from 'node:module';
  const require = createRequire(import.meta.url);
  const esm = await import(${JSON.stringify(path.join(esmDir, `${entryName}.mjs`))});
  const cjs = require(${JSON.stringify(path.join(cjsDir, `${entryName}.js`))});
  const main = require(${JSON.stringify(path.join(cjsDir, `${main}.js`))});
  const hasDefault = ${hasDefault};
  const a = Object.keys(esm).sort().join();
  const b = [...(hasDefault ? ['default'] : []), ...Object.keys(cjs)].sort().join();
  if (a !== b) { console.error('ESM exports ' + a + '\\nCJS exports ' + b); process.exit(1); }
  for (const k of Object.keys(cjs)) {
    if (esm[k] !== cjs[k] || main[k] !== cjs[k]) { console.error('differs: ' + k); process.exit(1); }
  }
  if (hasDefault && (esm.default !== cjs.WebSocket || main !== cjs.WebSocket || main.Server !== cjs.WebSocketServer)) {
    console.error('the default export is not the WebSocket class with Server'); process.exit(1);
  }
`,
    ],
    { stdio: 'inherit', cwd: root, env: { ...process.env, WSLAY_BACKEND: '' } },
  );
  if (check.status !== 0) fail(`the ESM wrapper of ${entryName} does not match the CommonJS build`);
}

console.log(
  `build-ts: dist/cjs (CommonJS + .d.ts) and dist/esm/*.mjs (exports: ${counts.join(', ')})`,
);
