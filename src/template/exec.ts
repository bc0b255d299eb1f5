/**
 * Executes parsed templates as Go's text/template does (exec.go): pipelines,
 * fields, variables, control structures, function calls with Go's argument
 * checking, and Go's error messages with their positions.
 *
 * Execution is synchronous. A function that needs the datasource (query)
 * throws NeedQuery when its result is not known yet; the caller fetches it and
 * runs the template again (see index.ts), so templates without query never
 * wait on a promise.
 */
import { sprint1 } from './fmt.js';
import { nodeString, type BranchNode, type ChainNode, type CommandNode, type FieldNode, type IdentifierNode, type Node, type NumberNode, type ParsedSet, type PipeNode, type TemplateNode, type VariableNode } from './parse.js';
import { quote } from './strconv.js';
import {
  BOOL,
  COMPLEX128,
  FLOAT64,
  GoMap,
  GoNamed,
  GoNil,
  GoPtr,
  GoSlice,
  GoStruct,
  INT,
  isTrue,
  MISSING,
  REFLECT_VALUE,
  STRING,
  assignableTo,
  byteLength,
  typeOf,
  type GoType,
  type Method,
  type Value,
} from './types.js';

/** A template function: Go's FuncMap entry with its signature. */
export interface FuncDef {
  params: GoType[];
  variadic?: boolean;
  /** Builtin functions (and, or) get special treatment, as in Go. */
  builtin?: boolean;
  call(args: Value[], env: Env): Value;
}

/** What functions may read: the options of this expansion and its query results. */
export interface Env {
  /** Evaluation time, unix ms. */
  now: number;
  externalURL: string;
  pathPrefix: string;
  /** Query results fetched so far in this expansion, by expression. */
  queries: Map<string, { samples?: { metric: Record<string, string>; value: number }[]; error?: string }>;
}

/** Thrown by query when its result is not fetched yet. */
export class NeedQuery {
  constructor(readonly expr: string) {}
}

/** An execution error, with Go's full text. */
export class ExecError extends Error {}

const NO_FINAL: unique symbol = Symbol('missingVal');
type Final = Value | typeof NO_FINAL;

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

/** Go's maxExecDepth; JS stacks are shallower, so the real limit is lower but the message is Go's. */
const MAX_EXEC_DEPTH_SHOWN = 100000;
const MAX_EXEC_DEPTH = 200;

function canBeNil(t: GoType): boolean {
  switch (t.kind) {
    case 'ptr':
    case 'map':
    case 'slice':
    case 'interface':
      return true;
    case 'struct':
      return t === REFLECT_VALUE;
  }
  return false;
}

function zeroOf(t: GoType): Value {
  if (t === REFLECT_VALUE) return undefined;
  switch (t.kind) {
    case 'ptr':
    case 'map':
    case 'slice':
      return new GoNil(t);
    case 'interface':
      return null;
    case 'string':
      return t === STRING ? '' : new GoNamed(t, '');
    case 'int':
    case 'uint':
      return t === INT ? 0n : new GoNamed(t, 0n);
    case 'float':
      return t === FLOAT64 ? 0 : new GoNamed(t, 0);
    case 'bool':
      return t === BOOL ? false : new GoNamed(t, false);
  }
  return undefined;
}

interface Variable {
  name: string;
  value: Value;
}

export class State {
  out = '';
  private node: Node | undefined;
  private vars: Variable[] = [];
  private depth = 0;
  private tmplName: string;

  constructor(
    private readonly set: ParsedSet,
    /** The main template's name (Go's ParseName). */
    private readonly parseName: string,
    private readonly funcs: Map<string, FuncDef>,
    private readonly builtins: Map<string, FuncDef>,
    readonly env: Env,
  ) {
    this.tmplName = parseName;
  }

  /** Executes the main template with data as dot. Throws ExecError or NeedQuery. */
  execute(data: Value): string {
    this.vars = [{ name: '$', value: data }];
    this.walk(data, this.set.main);
    return this.out;
  }

  // ---- errors ----

  private at(n: Node): void {
    this.node = n;
  }

  errorf(msg: string): never {
    const n = this.node;
    if (!n) throw new ExecError(`template: ${this.tmplName}: ${msg}`);
    const text = this.set.text.slice(0, n.pos);
    const nl = text.lastIndexOf('\n');
    let line = 1;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
    const col = byteLength(nl < 0 ? text : text.slice(nl + 1));
    throw new ExecError(`template: ${this.parseName}:${line}:${col}: executing ${quote(this.tmplName)} at <${nodeString(n)}>: ${msg}`);
  }

  // ---- variables ----

  private mark(): number {
    return this.vars.length;
  }
  private pop(mark: number): void {
    this.vars.length = mark;
  }
  private push(name: string, value: Value): void {
    this.vars.push({ name, value });
  }
  private setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, value: Value): void {
    this.vars[this.vars.length - n]!.value = value;
  }
  private varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  // ---- walking ----

  private walk(dot: Value, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      case 'comment':
        return;
      case 'if':
      case 'with':
        this.walkIfOrWith(node, dot);
        return;
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template':
        this.walkTemplate(dot, node);
        return;
      case 'text':
        this.out += node.text;
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private walkIfOrWith(node: BranchNode, dot: Value): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      const [truth, ok] = isTrue(val === null ? undefined : val);
      if (!ok) this.errorf(`if/with can't use ${sprint1(val)}`);
      if (truth) {
        this.walk(node.type === 'with' ? val : dot, node.list);
      } else if (node.elseList) {
        this.walk(dot, node.elseList);
      }
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: Value, r: BranchNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      let val = this.evalPipeline(dot, r.pipe);
      while (val instanceof GoPtr) val = val.target;
      const mark = this.mark();
      const decl = r.pipe.decl;
      const oneIteration = (index: Value, elem: Value) => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) {
            this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
          } else {
            this.setTopVar(1, elem);
          }
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
      };
      let ran = false;
      if (val instanceof GoSlice) {
        val.items.forEach((item, i) => {
          ran = true;
          oneIteration(BigInt(i), item);
        });
      } else if (val instanceof GoMap) {
        for (const k of val.sortedKeys()) {
          ran = true;
          oneIteration(k, val.rec[k]);
        }
      } else if (val instanceof GoNil && (val.type.kind === 'map' || val.type.kind === 'slice')) {
        // a nil map or slice is empty
      } else if (typeof val === 'bigint' || (val instanceof GoNamed && (val.type.kind === 'int' || val.type.kind === 'uint'))) {
        if (decl.length > 1) this.errorf(`can't use ${sprint1(val)} to iterate over more than one variable`);
        const n = typeof val === 'bigint' ? val : (val.v as bigint);
        for (let i = 0n; i < n; i++) {
          ran = true;
          oneIteration(undefined, typeof val === 'bigint' ? i : new GoNamed(val.type, i));
        }
      } else if (val !== undefined && val !== null) {
        this.errorf(`range can't iterate over ${sprint1(val)}`);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: Value, t: TemplateNode): void {
    this.at(t);
    const tree = t.name === this.parseName ? this.set.main : this.set.defined.get(t.name)?.root;
    if (!tree) this.errorf(`template ${quote(t.name)} not defined`);
    if (this.depth >= MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH_SHOWN})`);
    dot = this.evalPipeline(dot, t.pipe);
    const saved = { vars: this.vars, name: this.tmplName };
    this.depth++;
    this.tmplName = t.name;
    this.vars = [{ name: '$', value: dot }];
    try {
      this.walk(dot, tree);
    } finally {
      this.depth--;
      this.vars = saved.vars;
      this.tmplName = saved.name;
    }
  }

  // ---- evaluation ----

  evalPipeline(dot: Value, pipe: PipeNode | undefined): Value {
    if (!pipe) return undefined;
    this.at(pipe);
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      if (value === null) value = undefined; // an interface{} holding nothing
    }
    const v = value as Value;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0]!, v);
      else this.push(variable.ident[0]!, v);
    }
    return v;
  }

  private notAFunction(args: Node[] | undefined, final: Final): void {
    if ((args && args.length > 1) || final !== NO_FINAL) this.errorf(`can't give argument to non-function ${nodeString(args?.[0])}`);
  }

  private evalCommand(dot: Value, cmd: CommandNode, final: Final): Value {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      // eslint-disable-next-line no-fallthrough
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
    this.errorf(`can't evaluate command ${quote(nodeString(first))}`);
  }

  private idealConstant(c: NumberNode): Value {
    this.at(c);
    if (c.isComplex) return new GoNamed(COMPLEX128, c.re, c.im);
    const isHexInt = c.text.length > 2 && c.text[0] === '0' && (c.text[1] === 'x' || c.text[1] === 'X') && !/[pP]/.test(c.text);
    const isRuneInt = c.text[0] === "'";
    if (c.isFloat && !isHexInt && !isRuneInt && /[.eEpP]/.test(c.text)) return c.float64;
    if (c.isInt) return c.int64;
    if (c.isUint) this.errorf(`${c.text} overflows int`);
    return undefined;
  }

  private evalFieldNode(dot: Value, field: FieldNode, args: Node[] | undefined, final: Final): Value {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: Value, chain: ChainNode, args: Node[] | undefined, final: Final): Value {
    this.at(chain);
    if (chain.field.length === 0) this.errorf('internal error: no fields in evalChainNode');
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: Value, variable: VariableNode, args: Node[] | undefined, final: Final): Value {
    this.at(variable);
    const value = this.varValue(variable.ident[0]!);
    if (variable.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: Value, receiver: Value, node: Node, ident: string[], args: Node[] | undefined, final: Final): Value {
    let staticType = typeOf(receiver);
    for (let i = 0; i < ident.length - 1; i++) {
      [receiver, staticType] = this.evalField(dot, ident[i]!, node, undefined, NO_FINAL, receiver, staticType);
    }
    return this.evalField(dot, ident[ident.length - 1]!, node, args, final, receiver, staticType)[0];
  }

  private evalField(dot: Value, fieldName: string, node: Node, args: Node[] | undefined, final: Final, receiver: Value, staticType: GoType | undefined): [Value, GoType | undefined] {
    if (receiver === undefined) return [undefined, undefined];
    const typ = staticType ?? typeOf(receiver)!;
    // indirect through pointers
    let isNil = false;
    while (receiver instanceof GoPtr) receiver = receiver.target;
    if (receiver === null) {
      this.errorf(`nil pointer evaluating ${typ.name}.${fieldName}`);
    }
    if (receiver instanceof GoNil && receiver.type.kind === 'ptr') isNil = true;
    const rtype = typeOf(receiver)!;
    const method = rtype.methods?.[fieldName];
    if (method) return [this.evalMethod(dot, method, receiver, node, fieldName, args, final), method.result];
    const hasArgs = (args !== undefined && args.length > 1) || final !== NO_FINAL;
    if (receiver instanceof GoStruct || (rtype.kind === 'struct' && rtype.fields)) {
      const field = rtype.fields?.find((f) => f.name === fieldName);
      if (field) {
        const c = field.name.charCodeAt(0);
        if (!(c >= 65 && c <= 90)) this.errorf(`${fieldName} is an unexported field of struct type ${typ.name}`);
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        return [(receiver as GoStruct).f[fieldName], field.type];
      }
    } else if (receiver instanceof GoMap || (receiver instanceof GoNil && rtype.kind === 'map')) {
      if (rtype.key === STRING || rtype.key?.kind === 'string' || rtype.key?.kind === 'interface') {
        if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
        const elem = rtype.elem!;
        if (receiver instanceof GoNil) return [zeroOf(elem), elem];
        const got = receiver.get(fieldName);
        return [got === MISSING ? zeroOf(elem) : got, elem];
      }
    } else if (isNil) {
      const etyp = rtype.elem;
      if (!(etyp?.kind === 'struct' && !etyp.fields?.some((f) => f.name === fieldName))) {
        this.errorf(`nil pointer evaluating ${typ.name}.${fieldName}`);
      }
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${typ.name}`);
  }

  private evalFunction(dot: Value, node: IdentifierNode, cmd: Node, args: Node[] | undefined, final: Final): Value {
    this.at(node);
    const name = node.ident;
    let fn = this.funcs.get(name);
    let isBuiltin = false;
    if (!fn) {
      fn = this.builtins.get(name);
      isBuiltin = fn !== undefined;
    }
    if (!fn) this.errorf(`${quote(name)} is not a defined function`);
    return this.evalCall(dot, fn, isBuiltin, cmd, name, args, final, (argv) => fn.call(argv, this.env));
  }

  private evalMethod(dot: Value, m: Method, receiver: Value, node: Node, name: string, args: Node[] | undefined, final: Final): Value {
    return this.evalCall(dot, m, false, node, name, args, final, (argv) => m.call(receiver, argv));
  }

  private evalCall(
    dot: Value,
    fn: { params: GoType[]; variadic?: boolean },
    isBuiltin: boolean,
    node: Node,
    name: string,
    allArgs: Node[] | undefined,
    final: Final,
    invoke: (argv: Value[]) => Value,
  ): Value {
    const args = allArgs ? allArgs.slice(1) : [];
    const params = fn.params;
    let numIn = args.length;
    if (final !== NO_FINAL) numIn++;
    let numFixed = args.length;
    if (fn.variadic) {
      numFixed = params.length - 1;
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${params.length - 1} got ${args.length}`);
    } else if (numIn !== params.length) {
      this.errorf(`wrong number of args for ${name}: want ${params.length} got ${numIn}`);
    }

    if (isBuiltin && (name === 'and' || name === 'or')) {
      let v: Value = undefined;
      for (const arg of args) {
        v = this.evalArg(dot, REFLECT_VALUE, arg);
        const [t] = isTrue(v === null ? undefined : v);
        if (t === (name === 'or')) return v;
      }
      if (final !== NO_FINAL) v = this.validateType(final, REFLECT_VALUE);
      return v;
    }

    const argv: Value[] = new Array<Value>(numIn);
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv[i] = this.evalArg(dot, params[i]!, args[i]!);
    if (fn.variadic) {
      const argType = params[params.length - 1]!;
      for (; i < args.length; i++) argv[i] = this.evalArg(dot, argType, args[i]!);
    }
    if (final !== NO_FINAL) {
      let t = params[params.length - 1]!;
      if (fn.variadic && numIn - 1 < numFixed) t = params[numIn - 1]!;
      argv[i] = this.validateType(final, t);
    }
    try {
      const v = invoke(argv);
      return v === null ? undefined : v;
    } catch (e) {
      if (e instanceof NeedQuery || e instanceof ExecError) throw e;
      this.at(node);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private validateType(value: Final, typ: GoType | undefined): Value {
    if (value === NO_FINAL) value = undefined;
    if (value === undefined) {
      if (!typ) return undefined;
      if (canBeNil(typ)) return zeroOf(typ);
      this.errorf(`invalid value; expected ${typ.name}`);
    }
    if (!typ || typ === REFLECT_VALUE) return value;
    const vt = typeOf(value)!;
    if (!assignableTo(vt, typ)) {
      if (value instanceof GoPtr && vt.elem && assignableTo(vt.elem, typ)) return value.target;
      if (value instanceof GoNil && vt.kind === 'ptr' && vt.elem && assignableTo(vt.elem, typ)) {
        this.errorf(`dereference of nil pointer of type ${typ.name}`);
      }
      this.errorf(`wrong type for value; expected ${typ.name}; got ${vt.name}`);
    }
    return value;
  }

  private evalArg(dot: Value, typ: GoType | undefined, n: Node): Value {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, typ);
      case 'nil':
        if (typ && canBeNil(typ)) return zeroOf(typ);
        this.errorf(`cannot assign nil to ${typ?.name ?? '<nil>'}`);
      // eslint-disable-next-line no-fallthrough
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], NO_FINAL), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, undefined, NO_FINAL), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, undefined, NO_FINAL), typ);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, undefined, NO_FINAL), typ);
    }
    if (!typ) this.errorf(`can't handle ${nodeString(n)} for arg of type <nil>`);
    if (typ === REFLECT_VALUE || typ.kind === 'interface') return this.evalEmptyInterface(dot, n);
    switch (typ.kind) {
      case 'bool':
        this.at(n);
        if (n.type === 'bool') return typ === BOOL ? n.value : new GoNamed(typ, n.value);
        this.errorf(`expected bool; found ${nodeString(n)}`);
      // eslint-disable-next-line no-fallthrough
      case 'complex':
        if (n.type === 'number' && n.isComplex) return new GoNamed(typ, n.re, n.im);
        this.errorf(`expected complex; found ${nodeString(n)}`);
      // eslint-disable-next-line no-fallthrough
      case 'float':
        this.at(n);
        if (n.type === 'number' && n.isFloat) return typ === FLOAT64 ? n.float64 : new GoNamed(typ, n.float64);
        this.errorf(`expected float; found ${nodeString(n)}`);
      // eslint-disable-next-line no-fallthrough
      case 'int':
        this.at(n);
        if (n.type === 'number' && n.isInt) return typ === INT ? n.int64 : new GoNamed(typ, n.int64);
        this.errorf(`expected integer; found ${nodeString(n)}`);
      // eslint-disable-next-line no-fallthrough
      case 'string':
        this.at(n);
        if (n.type === 'string') return typ === STRING ? n.text : new GoNamed(typ, n.text);
        this.errorf(`expected string; found ${nodeString(n)}`);
      // eslint-disable-next-line no-fallthrough
      case 'uint':
        this.at(n);
        if (n.type === 'number' && n.isUint) return new GoNamed(typ, n.uint64);
        this.errorf(`expected unsigned integer; found ${nodeString(n)}`);
    }
    this.errorf(`can't handle ${nodeString(n)} for arg of type ${typ.name}`);
  }

  private evalEmptyInterface(dot: Value, n: Node): Value {
    this.at(n);
    switch (n.type) {
      case 'bool':
        return n.value;
      case 'dot':
        return dot;
      case 'field':
        return this.evalFieldNode(dot, n, undefined, NO_FINAL);
      case 'identifier':
        return this.evalFunction(dot, n, n, undefined, NO_FINAL);
      case 'nil':
        this.errorf("evalEmptyInterface: nil (can't happen)");
      // eslint-disable-next-line no-fallthrough
      case 'number':
        return this.idealConstant(n);
      case 'string':
        return n.text;
      case 'variable':
        return this.evalVariableNode(dot, n, undefined, NO_FINAL);
      case 'pipe':
        return this.evalPipeline(dot, n);
    }
    this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
  }

  private printValue(n: Node, v: Value): void {
    this.at(n);
    while (v instanceof GoPtr) v = v.target;
    if (v === undefined) {
      this.out += '<no value>';
      return;
    }
    this.out += sprint1(v);
  }
}
