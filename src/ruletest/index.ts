// `vigil test`: promtool rule unit-test files run in-process on the embedded engine and store,
// with eval's alert state machine. Its own module: it needs eval, and eval imports rules.
export { runTestFile, passed, type TestFileResult, type TestGroupResult, type TestRunOptions } from './run.js';
export { junitXML } from './junit.js';
export { parseTestFile, TestFileError, type UnitTestFile } from './file.js';
