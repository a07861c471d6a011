import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// Every export of every public entry point (package.json "exports") carries TSDoc: a summary
// and an `@example` (DESIGN.md, habit 9). The entry points are loaded with the compiler API,
// re-exports followed to their declaration. Then every example is compiled as a module of its
// own, importing the library by its public name (the root tsconfig maps the subpaths to src):
// an example that no longer matches the API fails here, not in a reader's editor.
//
// An example may use two names undeclared, as a reader has them at hand: `auth` (a Tessera
// instance) and `store` (a Store); see EXAMPLE_GLOBALS. Anything else it declares or imports.
// The examples are compiled in memory (never written), in one program: about a second.

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(packageDir, '..', '..');
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string }>;
};

/** Public name → source file, from the `types` of each export condition (dist/x.d.ts → src/x.ts). */
const entryPoints = Object.entries(manifest.exports).flatMap(([subpath, target]) => {
  if (typeof target === 'string') return []; // ./package.json
  const source = join(packageDir, target.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts'));
  return [{ name: `tessera${subpath.slice(1)}`, file: source }];
});

const EXAMPLE_GLOBALS = `
import type { Store, Tessera } from 'tessera';
declare global {
  /** A running instance, as made by createTessera. */
  const auth: Tessera;
  /** Any store: createSqliteStore, createPostgresStore, createRedisStore or createMemoryStore. */
  const store: Store;
}
export {};
`;

const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
const options = ts.parseJsonConfigFileContent(config.config, ts.sys, root).options;

// One host for both programs, caching parsed files: the library is parsed once.
const virtualFiles = new Map<string, string>();
const parsed = new Map<string, ts.SourceFile>();
const host = ts.createCompilerHost(options, true);
const realGetSourceFile = host.getSourceFile.bind(host);
const realFileExists = host.fileExists.bind(host);
const realReadFile = host.readFile.bind(host);
host.fileExists = (f) => virtualFiles.has(f) || realFileExists(f);
host.readFile = (f) => virtualFiles.get(f) ?? realReadFile(f);
host.getSourceFile = (f, languageVersion, onError) => {
  const virtual = virtualFiles.get(f);
  if (virtual !== undefined) return ts.createSourceFile(f, virtual, languageVersion, true);
  let sf = parsed.get(f);
  if (!sf) {
    sf = realGetSourceFile(f, languageVersion, onError);
    if (sf) parsed.set(f, sf);
  }
  return sf;
};

interface PublicExport {
  entry: string;
  name: string;
  /** Where the declaration is, relative to the repository. */
  where: string;
  /** What is missing, or undefined. */
  problem: string | undefined;
  /** The code of the `@example` blocks (fences removed). */
  examples: string[];
}

function docOf(declaration: ts.Declaration): ts.JSDoc | undefined {
  // The JSDoc nearest the declaration (a file's leading comment may come before it).
  return ts.getJSDocCommentsAndTags(declaration).filter(ts.isJSDoc).at(-1);
}

/** The code of an `@example` tag: the fenced blocks, or the whole text without a fence. */
function exampleCode(tag: ts.JSDocTag): string {
  const text = ts.getTextOfJSDocComment(tag.comment) ?? '';
  const fenced = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return (fenced.length > 0 ? fenced.join('\n') : text).trim();
}

function collectExports(program: ts.Program): PublicExport[] {
  const checker = program.getTypeChecker();
  const out: PublicExport[] = [];
  for (const { name: entry, file } of entryPoints) {
    const sourceFile = program.getSourceFile(file);
    assert.ok(sourceFile, `${entry}: ${file} is in the program`);
    const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
    assert.ok(moduleSymbol, `${entry} is a module`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = target.declarations ?? [];
      const first = declarations[0];
      const where = first
        ? `${relative(root, first.getSourceFile().fileName)}:${first.getSourceFile().getLineAndCharacterOfPosition(first.getStart()).line + 1}`
        : '(no declaration)';
      let problem: string | undefined = 'no TSDoc comment';
      let examples: string[] = [];
      for (const declaration of declarations) {
        const doc = docOf(declaration);
        if (!doc) continue;
        const summary = ts.getTextOfJSDocComment(doc.comment)?.trim() ?? '';
        const exampleTags = (doc.tags ?? []).filter((t) => t.tagName.text === 'example');
        examples = exampleTags.map(exampleCode).filter((code) => code.length > 0);
        problem = summary === '' ? 'no summary' : examples.length === 0 ? 'no @example' : undefined;
        if (problem === undefined) break;
      }
      out.push({ entry, name: exported.name, where, problem, examples });
    }
  }
  return out;
}

const program = ts.createProgram(entryPoints.map((e) => e.file), options, host);
const exports = collectExports(program);

describe('TSDoc on the public API', () => {
  it('finds the exports of every entry point', () => {
    assert.ok(entryPoints.length >= 9, 'entry points read from package.json');
    for (const { name } of entryPoints) {
      assert.ok(exports.some((e) => e.entry === name), `${name} exports something`);
    }
  });

  it('every export has a summary and an @example', () => {
    const missing = exports.filter((e) => e.problem !== undefined);
    const list = missing.map((e) => `  ${e.entry}: ${e.name} (${e.where}): ${e.problem}`).join('\n');
    assert.equal(missing.length, 0, `${missing.length} of ${exports.length} exports lack TSDoc:\n${list}`);
  });

  it('every example imports by a public name and compiles against the real API', () => {
    // One example per declaration (a re-exported symbol is documented once).
    const seen = new Set<string>();
    const examples: { label: string; code: string }[] = [];
    for (const e of exports) {
      if (seen.has(e.where)) continue;
      seen.add(e.where);
      e.examples.forEach((code, i) => examples.push({ label: `${e.entry}: ${e.name}${e.examples.length > 1 ? ` #${i + 1}` : ''} (${e.where})`, code }));
    }
    const publicNames = new Set(entryPoints.map((e) => e.name));
    const problems: string[] = [];
    const files = new Map<string, string>();
    examples.forEach(({ label, code }, i) => {
      const specifiers = [...code.matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1]!);
      if (!specifiers.some((s) => publicNames.has(s))) problems.push(`${label}: imports nothing from a public entry point`);
      const internal = specifiers.filter((s) => s.startsWith('.') || s.includes('/src/') || s.includes('/dist/'));
      if (internal.length > 0) problems.push(`${label}: imports ${internal.join(', ')} (use the public names)`);
      // Beside this test, so the package's "type": "module" and node_modules apply; never written.
      const file = join(packageDir, 'test', `__tsdoc_example_${i}__.ts`);
      virtualFiles.set(file, code.includes('import ') || code.includes('export ') ? code : `${code}\nexport {};\n`);
      files.set(file, label);
    });
    const globals = join(packageDir, 'test', '__tsdoc_example_globals__.ts');
    virtualFiles.set(globals, EXAMPLE_GLOBALS);

    const examplesProgram = ts.createProgram([...files.keys(), globals], options, host);
    for (const [file, label] of files) {
      const sourceFile = examplesProgram.getSourceFile(file)!;
      const diagnostics = [...examplesProgram.getSyntacticDiagnostics(sourceFile), ...examplesProgram.getSemanticDiagnostics(sourceFile)];
      for (const d of diagnostics) {
        const line = d.start === undefined ? 0 : sourceFile.getLineAndCharacterOfPosition(d.start).line + 1;
        problems.push(`${label}, example line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      }
    }
    for (const d of examplesProgram.getSemanticDiagnostics(examplesProgram.getSourceFile(globals)!)) {
      problems.push(`example globals: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
    assert.equal(problems.length, 0, `${problems.length} problems in ${examples.length} examples:\n  ${problems.join('\n  ')}`);
  });
});
