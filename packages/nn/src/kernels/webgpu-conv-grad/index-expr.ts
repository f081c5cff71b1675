/**
 * A small integer expression language for the index arithmetic of the convolution-gradient
 * shaders, so one source text is both run in TypeScript (tests, emulation) and emitted as WGSL:
 * the shader cannot drift from what the cpu tests check. Semantics follow WGSL i32: `/`
 * truncates toward zero and `%` keeps the dividend's sign (as JS's `%`), comparisons give
 * bools, `&&`/`||` take bools, `select(f, t, cond)` is WGSL's select. Values stay far below
 * 2^31 (tfjs caps buffer sizes), so no wrap-around is modelled.
 */

type Node =
  | { kind: 'num'; value: number }
  | { kind: 'id'; name: string }
  | { kind: 'neg'; arg: Node }
  | { kind: 'bin'; op: BinaryOp; left: Node; right: Node }
  | { kind: 'select'; whenFalse: Node; whenTrue: Node; cond: Node };

type BinaryOp = '+' | '-' | '*' | '/' | '%' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';

const PRECEDENCE: Record<BinaryOp, number> = {
  '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '<=': 4, '>': 4, '>=': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6,
};

// WGSL keywords and reserved words an index name could plausibly collide with.
const RESERVED = new Set([
  'alias', 'break', 'case', 'const', 'continue', 'default', 'else', 'false', 'fn', 'for', 'if', 'let', 'loop', 'override',
  'return', 'struct', 'switch', 'true', 'var', 'while', 'filter', 'target', 'layout', 'mod', 'set', 'get', 'type', 'shared',
  'static', 'self', 'move', 'match', 'in', 'of', 'from', 'pass', 'patch', 'sample', 'use', 'with', 'where', 'new', 'null',
  'main', 'result', 'uniforms', 'select', 'min', 'max', 'index',
]);

function tokenize(src: string): string[] {
  const tokens = src.match(/\s*(\d+|[A-Za-z_]\w*|<=|>=|==|!=|&&|\|\||[-+*/%<>(),])/gy);
  const joined = (tokens ?? []).join('');
  if (joined.length !== src.length) throw new Error(`indexExpr: cannot parse "${src}" at offset ${joined.length}`);
  return (tokens ?? []).map((t) => t.trim());
}

function parse(src: string): Node {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const expect = (t: string): void => {
    if (tokens[pos] !== t) throw new Error(`indexExpr: expected "${t}" in "${src}", got "${tokens[pos] ?? 'end'}"`);
    pos++;
  };
  const primary = (): Node => {
    const t = tokens[pos++];
    if (t === undefined) throw new Error(`indexExpr: unexpected end of "${src}"`);
    if (t === '(') {
      const e = expr(0);
      expect(')');
      return e;
    }
    if (t === '-') return { kind: 'neg', arg: primary() };
    if (/^\d+$/.test(t)) return { kind: 'num', value: Number(t) };
    if (t === 'select') {
      expect('(');
      const whenFalse = expr(0);
      expect(',');
      const whenTrue = expr(0);
      expect(',');
      const cond = expr(0);
      expect(')');
      return { kind: 'select', whenFalse, whenTrue, cond };
    }
    if (/^[A-Za-z_]\w*$/.test(t)) return { kind: 'id', name: t };
    throw new Error(`indexExpr: unexpected "${t}" in "${src}"`);
  };
  const expr = (minPrec: number): Node => {
    let left = primary();
    for (;;) {
      const op = peek() as BinaryOp | undefined;
      if (op === undefined || !(op in PRECEDENCE) || PRECEDENCE[op] < minPrec) break;
      pos++;
      const right = expr(PRECEDENCE[op] + 1);
      left = { kind: 'bin', op, left, right };
    }
    return left;
  };
  const root = expr(0);
  if (pos !== tokens.length) throw new Error(`indexExpr: trailing "${tokens[pos]}" in "${src}"`);
  return root;
}

function identifiers(node: Node, out: Set<string>): Set<string> {
  switch (node.kind) {
    case 'id':
      out.add(node.name);
      break;
    case 'neg':
      identifiers(node.arg, out);
      break;
    case 'bin':
      identifiers(node.left, out);
      identifiers(node.right, out);
      break;
    case 'select':
      identifiers(node.whenFalse, out);
      identifiers(node.whenTrue, out);
      identifiers(node.cond, out);
      break;
    default:
      break;
  }
  return out;
}

/** Fully parenthesised, so WGSL's rules on mixing operators never apply. */
function toWgsl(node: Node, name: (id: string) => string): string {
  switch (node.kind) {
    case 'num':
      return String(node.value);
    case 'id':
      return name(node.name);
    case 'neg':
      return `(-${toWgsl(node.arg, name)})`;
    case 'bin':
      return `(${toWgsl(node.left, name)} ${node.op} ${toWgsl(node.right, name)})`;
    case 'select':
      return `select(${toWgsl(node.whenFalse, name)}, ${toWgsl(node.whenTrue, name)}, ${toWgsl(node.cond, name)})`;
    default:
      throw new Error('indexExpr: unknown node');
  }
}

type Value = number | boolean;
type Compiled = (env: Value[]) => Value;

function compile(node: Node, slot: (id: string) => number): Compiled {
  switch (node.kind) {
    case 'num': {
      const v = node.value;
      return () => v;
    }
    case 'id': {
      const i = slot(node.name);
      return (env) => env[i];
    }
    case 'neg': {
      const a = compile(node.arg, slot);
      return (env) => -(a(env) as number);
    }
    case 'select': {
      const f = compile(node.whenFalse, slot);
      const t = compile(node.whenTrue, slot);
      const c = compile(node.cond, slot);
      return (env) => (c(env) ? t(env) : f(env));
    }
    case 'bin': {
      const l = compile(node.left, slot);
      const r = compile(node.right, slot);
      switch (node.op) {
        case '+': return (env) => (l(env) as number) + (r(env) as number);
        case '-': return (env) => (l(env) as number) - (r(env) as number);
        case '*': return (env) => (l(env) as number) * (r(env) as number);
        case '/': return (env) => Math.trunc((l(env) as number) / (r(env) as number));
        case '%': return (env) => (l(env) as number) % (r(env) as number);
        case '<': return (env) => (l(env) as number) < (r(env) as number);
        case '<=': return (env) => (l(env) as number) <= (r(env) as number);
        case '>': return (env) => (l(env) as number) > (r(env) as number);
        case '>=': return (env) => (l(env) as number) >= (r(env) as number);
        case '==': return (env) => l(env) === r(env);
        case '!=': return (env) => l(env) !== r(env);
        case '&&': return (env) => (l(env) as boolean) && (r(env) as boolean);
        case '||': return (env) => (l(env) as boolean) || (r(env) as boolean);
        default: throw new Error('indexExpr: unknown operator');
      }
    }
    default:
      throw new Error('indexExpr: unknown node');
  }
}

/**
 * An i32 function of its parameters and of named uniforms: `lets` are evaluated in order, the
 * last expression is returned. Every identifier must be a parameter, an earlier let or a uniform.
 */
export interface IndexFnSource {
  name: string;
  params: string[];
  lets: [string, string][];
  returns: string;
}

export interface IndexFn {
  readonly source: IndexFnSource;
  /** The WGSL function; uniforms are read as `uniforms.<name>`. */
  readonly wgsl: string;
  /** The same function in TypeScript, the uniforms given once. */
  bind(uniforms: Record<string, number>): (...args: number[]) => number;
}

function checkName(fn: string, id: string): void {
  if (!/^[a-z][A-Za-z0-9]*$/.test(id) || RESERVED.has(id)) throw new Error(`indexExpr: ${fn}: name "${id}" is not a safe WGSL identifier`);
}

export function indexFn(source: IndexFnSource, uniformNames: readonly string[]): IndexFn {
  const uniforms = new Set(uniformNames);
  const locals: string[] = [...source.params];
  const parsed: [string, Node][] = [];
  for (const id of source.params) checkName(source.name, id);
  const resolve = (src: string): Node => {
    const node = parse(src);
    for (const id of identifiers(node, new Set())) {
      if (!locals.includes(id) && !uniforms.has(id)) throw new Error(`indexExpr: ${source.name}: "${id}" is neither a parameter, an earlier let nor a uniform`);
    }
    return node;
  };
  for (const [id, src] of source.lets) {
    checkName(source.name, id);
    if (locals.includes(id) || uniforms.has(id)) throw new Error(`indexExpr: ${source.name}: "${id}" is defined twice`);
    parsed.push([id, resolve(src)]);
    locals.push(id);
  }
  const ret = resolve(source.returns);
  const wgslName = (id: string): string => (uniforms.has(id) && !locals.includes(id) ? `uniforms.${id}` : id);
  const body = parsed.map(([id, node]) => `  let ${id} = ${toWgsl(node, wgslName)};`).join('\n');
  const wgsl = `fn ${source.name}(${source.params.map((p) => `${p} : i32`).join(', ')}) -> i32 {\n${body}\n  return ${toWgsl(ret, wgslName)};\n}\n`;
  const order = [...locals, ...uniformNames];
  const slot = (id: string): number => order.indexOf(id);
  const steps = parsed.map(([, node]) => compile(node, slot));
  const result = compile(ret, slot);
  const nLocals = locals.length;
  const nParams = source.params.length;
  return {
    source,
    wgsl,
    bind(values) {
      const base: Value[] = new Array(order.length).fill(0);
      uniformNames.forEach((u, i) => {
        const v = values[u];
        if (v === undefined) throw new Error(`indexExpr: ${source.name}: no value for uniform "${u}"`);
        base[nLocals + i] = v;
      });
      return (...args) => {
        const env = base.slice();
        for (let i = 0; i < nParams; i++) env[i] = args[i];
        for (let i = 0; i < steps.length; i++) env[nParams + i] = steps[i](env);
        return result(env) as number;
      };
    },
  };
}
