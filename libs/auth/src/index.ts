export { AuthError } from './errors.js';
export { HUMAN_ROLES, ROLES, isRole, roleSatisfies, type HumanRole, type Role } from './roles.js';
export {
  DEV_TOKEN_FILE,
  MIN_TOKEN_LENGTH,
  TokenRegistry,
  ensureDevTokens,
  generateToken,
  hashToken,
  parseTokenList,
  readTokenFile,
  type Principal,
  type TokenEntry,
} from './tokens.js';
export { loadAuth, type AuthConfig, type AuthSettings, type LoadedAuth } from './settings.js';
export {
  AUTH_SETTINGS,
  AuthDelegated,
  AuthGuard,
  AuthModule,
  RequireRole,
  bearerToken,
  principalOf,
} from './guard.js';
