// The version `vigil --version` and /api/v2/status report.
export const VERSION = '0.1.0';
