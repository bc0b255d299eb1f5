export { YamlSource, type Path } from './source.js';
export { type Diagnostic, formatDiagnostic, formatPath, hasErrors } from './diagnostic.js';
export { compileSchema, validateShape, closest, type SchemaError } from './schema.js';
