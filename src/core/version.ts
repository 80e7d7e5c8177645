// The CLI and daemon version (kept equal to package.json's by a test), without reading package.json at start-up.
export const VERSION = '1.1.0';
