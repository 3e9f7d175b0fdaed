import {
  ForbiddenException,
  Inject,
  Injectable,
  Module,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { roleSatisfies, type Role } from './roles.js';
import type { AuthSettings } from './settings.js';
import type { Principal } from './tokens.js';

export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');
const ROLES_KEY = 'millrace:auth:roles';
const DELEGATED_KEY = 'millrace:auth:delegated';
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The roles a route accepts (any of them; a human role also admits the roles above it). On a
 * controller class it applies to every route without its own.
 */
export const RequireRole = (...roles: [Role, ...Role[]]) => SetMetadata(ROLES_KEY, roles);

/** The route checks tokens itself or forwards them (a proxy): the guard lets it through. */
export const AuthDelegated = () => SetMetadata(DELEGATED_KEY, true);

const principals = new WeakMap<object, Principal>();

/** Who called, once the guard admitted a request with a token; undefined on an open route. */
export function principalOf(request: object): Principal | undefined {
  return principals.get(request);
}

/** `Authorization: Bearer <token>` (RFC 6750 section 2.1); undefined if absent or another scheme. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
  return match?.[1];
}

/**
 * Global guard: a route names its roles with {@link RequireRole}; without one, a read needs
 * `readRole` (or nothing) and any other method `writeRole`, so a write route added without thinking of
 * auth is protected anyway. 401 without a valid token (with `WWW-Authenticate`), 403 for a too-low role.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(AUTH_SETTINGS) private readonly settings: AuthSettings,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(DELEGATED_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const declared = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    const fallback = READ_METHODS.has(request.method) ? this.settings.readRole : this.settings.writeRole;
    const required: readonly Role[] | undefined = declared ?? (fallback === 'none' ? undefined : [fallback]);
    const token = bearerToken(request.headers.authorization);
    const principal = token === undefined ? undefined : this.settings.registry.authenticate(token);
    if (principal) principals.set(request, principal);
    if (required === undefined) return true;
    if (!principal) {
      context
        .switchToHttp()
        .getResponse<FastifyReply>()
        .header('WWW-Authenticate', 'Bearer realm="millrace"');
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'Unauthorized',
        message: token === undefined ? 'a bearer token is required' : 'the bearer token is not valid',
      });
    }
    if (!roleSatisfies(principal.role, required)) {
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `role ${principal.role} may not do this; needs ${required.join(' or ')}`,
      });
    }
    return true;
  }
}

@Module({})
export class AuthModule {
  /** Registers {@link AuthGuard} for every route of the application. */
  static forRoot(settings: AuthSettings): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: AUTH_SETTINGS, useValue: settings },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [AUTH_SETTINGS],
    };
  }
}
