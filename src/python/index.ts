export type { PythonInfo } from './interpreter.js';
export { majorMinor } from './interpreter.js';
export {
  createInterpreterFinder,
  listInterpreters,
  resolveInterpreter,
  compareInterpreters,
  type DiscoveryOptions,
  type FoundInterpreter,
  type InterpreterFinder,
  type InterpreterSurvey,
  type RejectedCandidate,
  type ResolveOptions,
} from './discover.js';
export type { CandidateSource } from './candidates.js';
export { probeInterpreter, DEFAULT_PROBE_TIMEOUT_MS, type ProbeOptions } from './probe.js';
export { defaultCacheDir } from './probe-cache.js';
export {
  parseRequest,
  rangeMatches,
  compareVersionStrings,
  type PythonRequest,
  type RangeRequest,
  type RequestParseResult,
  type VersionClause,
  type VersionOperator,
} from './version-request.js';
export { formatInterpreterTable } from './interpreter-table.js';
