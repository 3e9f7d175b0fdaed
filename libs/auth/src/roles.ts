/** People's roles, each allowed everything the ones before it may do. */
export const HUMAN_ROLES = ['viewer', 'operator', 'engineer', 'admin'] as const;
export type HumanRole = (typeof HUMAN_ROLES)[number];
/**
 * `mes` is the MES's machine credential: outside the ladder, so it can push orders but cannot send
 * machine commands or annotate, and no person's token can impersonate the MES (except admin).
 */
export type Role = HumanRole | 'mes';
export const ROLES: readonly Role[] = [...HUMAN_ROLES, 'mes'];

const rank = (role: HumanRole): number => HUMAN_ROLES.indexOf(role);

/**
 * Whether a token of role `granted` may use a route that accepts any of `required`. A human role
 * satisfies itself and every lower one; `mes` satisfies only `mes` and `viewer` (it reads what it
 * writes); `admin` satisfies everything.
 */
export function roleSatisfies(granted: Role, required: readonly Role[]): boolean {
  if (granted === 'admin') return true;
  return required.some((needed) => {
    if (needed === 'mes') return granted === 'mes';
    if (granted === 'mes') return needed === 'viewer';
    return rank(granted) >= rank(needed);
  });
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
