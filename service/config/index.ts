export { API_VERSIONS, BURNWATCH_KINDS, loadConfig, loadConfigText } from './loader.ts';
export type { Config, LoadResult } from './loader.ts';
export { formatConfigIssue } from './issues.ts';
export type { ConfigIssue } from './issues.ts';
export { defaultServiceSettings, serviceSpecSchema, LOG_LEVELS } from './service-spec.ts';
export type { ServiceSettings } from './service-spec.ts';
export { listConfigFiles, substituteEnv } from './source.ts';
