import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/**
 * Import cycles between source files (Tarjan's strongly connected components over the
 * relative-import graph). A cycle makes module evaluation order matter: under ESM a class
 * imported from a file still being evaluated is in its temporal dead zone, so `extends` or
 * `instanceof` on it throws or depends on which file a consumer imported first.
 *
 * Edges are the imports that exist at run time: `import type`, `export type` and imports whose
 * every specifier is `type` are erased by tsc (no verbatimModuleSyntax here), so they are no
 * edges; dynamic `import()` is lazy and is no edge either.
 */

const PACKAGES = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // `import './side-effect.js'`
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

/** Relative specifiers of the run-time imports and re-exports of one file. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const out: string[] = [];
  for (const st of source.statements) {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(st) && !isTypeOnlyImport(st)) spec = st.moduleSpecifier;
    else if (ts.isExportDeclaration(st) && !isTypeOnlyExport(st)) spec = st.moduleSpecifier;
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith('.')) out.push(spec.text);
  }
  return out;
}

function resolveImport(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, path.join(base, 'index.ts')];
  const hit = candidates.find((c) => c.endsWith('.ts') && fs.existsSync(c));
  if (!hit) throw new Error(`import-cycles: ${path.relative(PACKAGES, from)} imports "${spec}", which resolves to no .ts file`);
  return hit;
}

/** Strongly connected components with more than one file, or a file importing itself. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** One concrete loop through a component, for the failure message: a -> b -> ... -> a. */
function loopThrough(component: string[], graph: Map<string, string[]>): string[] {
  const members = new Set(component);
  const start = component[0];
  const prev = new Map<string, string>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const loop = [v];
        while (loop[0] !== start) loop.unshift(prev.get(loop[0])!);
        return [...loop, start];
      }
      if (!seen.has(w)) {
        seen.add(w);
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return component;
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const pkg of fs.readdirSync(PACKAGES).sort()) {
    const src = path.join(PACKAGES, pkg, 'src');
    if (!fs.existsSync(src)) continue;
    for (const file of sourceFiles(src)) graph.set(file, runtimeImports(file).map((s) => resolveImport(file, s)));
  }
  return graph;
}

describe('import cycles', () => {
  const graph = importGraph();
  const rel = (f: string) => path.relative(PACKAGES, f);

  it('finds a cycle in a synthetic graph and ignores an acyclic one', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', []], ['e', ['e']]]);
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['e']]);
    expect(loopThrough(['a', 'b', 'c'], g)).toEqual(['a', 'b', 'c', 'a']);
    expect(cycles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
  });

  it('walks every package source file', () => {
    // Sanity: the walk sees nn's module system and a real run-time edge out of it.
    const nnModule = path.join(PACKAGES, 'nn/src/module.ts');
    expect(graph.has(nnModule)).toBe(true);
    expect(graph.get(path.join(PACKAGES, 'nn/src/layers/conv.ts'))).toContain(nnModule);
  });

  it('has no run-time import cycle in any package', () => {
    const loops = cycles(graph).map((c) => loopThrough(c, graph).map(rel).join(' -> '));
    expect(loops).toEqual([]);
  });
});
