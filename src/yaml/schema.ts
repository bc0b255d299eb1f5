import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';

// ajv ships CommonJS; under NodeNext its default export is the module object.
const Ajv = AjvModule.default ?? AjvModule;

/** An ajv instance configured the way every vigil schema is checked. */
export function compileSchema(schema: object): ValidateFunction {
  return new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
}

export interface SchemaError {
  path: (string | number)[];
  /** Whether the error is about the key at `path` (unknown field) rather than its value. */
  at: 'key' | 'value';
  message: string;
}

/** Validates `data` and words every error for a person, at the key or value it is about. */
export function validateShape(validate: ValidateFunction, data: unknown): SchemaError[] {
  if (validate(data)) return [];
  return collapse(validate.errors ?? []).map((e) => toSchemaError(e, validate.schema as object));
}

/** ajv reports every branch of an anyOf; keep the anyOf summary instead of its parts. */
function collapse(errors: ErrorObject[]): ErrorObject[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  return errors.filter((e) => e.keyword === 'anyOf' || !anyOfPaths.has(e.instancePath));
}

function toSchemaError(e: ErrorObject, root: object): SchemaError {
  const path = pointerToPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = Object.keys(schemaAt(root, e.schemaPath)?.properties ?? {});
      const hint = closest(key, allowed);
      return {
        path: [...path, key],
        at: 'key',
        message: `unknown field "${key}"` + (hint ? ` (did you mean "${hint}"?)` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''),
      };
    }
    case 'required':
      return { path, at: 'value', message: `missing required field "${String(p.missingProperty)}"` };
    case 'type':
      return { path, at: 'value', message: `must be ${article(String(p.type))}` };
    case 'anyOf': {
      const expected = (schemaAt(root, e.schemaPath) as { description?: string } | undefined)?.description;
      return { path, at: 'value', message: expected ? `must be ${expected}` : 'is not any of the allowed forms' };
    }
    case 'enum':
      return { path, at: 'value', message: `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'minLength':
      return { path, at: 'value', message: 'must not be empty' };
    case 'minItems':
      return { path, at: 'value', message: 'must not be an empty list' };
    case 'minimum':
      return { path, at: 'value', message: `must be ${String(p.limit)} or more` };
    default:
      return { path, at: 'value', message: e.message ?? 'is not valid' };
  }
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function schemaAt(root: object, schemaPath: string): { properties?: Record<string, unknown> } | undefined {
  let node: unknown = root;
  for (const part of schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) {
    node = (node as Record<string, unknown> | undefined)?.[part];
  }
  return node as { properties?: Record<string, unknown> } | undefined;
}

function article(types: string): string {
  const words = types.split(',').map((t) => (t === 'integer' ? 'a whole number' : t === 'object' ? 'a map' : t === 'array' ? 'a list' : `a ${t}`));
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}` : words[0];
}

/** The allowed name nearest to a typo, if it is near enough to be the one meant. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
