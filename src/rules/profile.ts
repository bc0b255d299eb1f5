/**
 * A profile: a named set of var overrides that switches the whole pack at once, e.g. to the
 * OpenTelemetry GenAI metrics (profiles/otel-genai.yaml). Its vars override each group's own;
 * `--var` overrides both. A profile var that some loaded group does not declare is fine (the
 * pack's groups declare different vars); a name no group declares at all is likely a typo.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSchema, formatPath, validateShape, YamlSource, type Diagnostic } from '../yaml/index.js';
import { varsSchema } from './schema.js';
import { VAR_NAME, type VarValue } from './vars.js';

export interface Profile {
  /** The file it was read from. */
  file: string;
  vars: Map<string, VarValue>;
}

const validate = compileSchema({
  type: 'object',
  required: ['vars'],
  additionalProperties: false,
  properties: {
    description: { type: 'string' },
    vars: varsSchema,
  },
});

/** The folder of the profiles vigil ships, beside rules/ in the package. */
const BUILTIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'profiles');

/** A bare name (`otel-genai`) is a profile vigil ships; anything with a slash or a .yaml suffix is a file. */
export function profilePath(nameOrFile: string, base = process.cwd()): string {
  if (/[\\/]/.test(nameOrFile) || /\.ya?ml$/.test(nameOrFile)) return resolve(base, nameOrFile);
  return join(BUILTIN, `${nameOrFile}.yaml`);
}

export async function loadProfile(nameOrFile: string, base?: string): Promise<{ profile?: Profile; diagnostics: Diagnostic[] }> {
  const file = profilePath(nameOrFile, base);
  const at = (line: number, column: number, path: string, message: string): Diagnostic => ({ file, line, column, path, message, severity: 'error' });
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    const hint = missing && file.startsWith(BUILTIN) ? ` (vigil ships: otel-genai; or give a file path)` : '';
    return { diagnostics: [at(1, 1, '', `${missing ? 'no such profile' : (err as Error).message}${hint}`)] };
  }
  const src = new YamlSource(file, text);
  const diagnostics: Diagnostic[] = src.doc.errors.map((e) => {
    const { line, column } = src.position(e.pos[0]);
    return at(line, column, '', `YAML: ${e.message.split('\n')[0]}`);
  });
  if (diagnostics.length) return { diagnostics };
  const data: unknown = src.doc.toJS();
  for (const e of validateShape(validate, data)) {
    const { line, column } = src.position(src.offsetOf(e.path, e.at));
    diagnostics.push(at(line, column, formatPath(e.path), e.message));
  }
  const vars = new Map<string, VarValue>(Object.entries((data as { vars?: Record<string, VarValue> })?.vars ?? {}));
  for (const name of vars.keys()) {
    if (VAR_NAME.test(name)) continue;
    const { line, column } = src.position(src.offsetOf(['vars', name], 'key'));
    diagnostics.push(at(line, column, formatPath(['vars', name]), `"${name}" is not a variable name (letters, digits and _, not starting with a digit)`));
  }
  return diagnostics.length ? { diagnostics } : { profile: { file, vars }, diagnostics };
}
