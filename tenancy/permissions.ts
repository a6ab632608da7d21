import { ForbiddenError } from '../core/errors';
import { MEMBER_ROLES, type MemberRole } from '../db/postgres/schema';

/**
 * What each role may do inside its tenant (DESIGN.md "Users"):
 * analyst ⊂ portfolio_manager ⊂ tenant_admin, and api_user: the HTTP API with view rights.
 * The tenant admin holds every action of the tenant, the API included.
 */
export const ACTIONS = [
  'view_status',
  'view_positions',
  'receive_alerts',
  'pause_trading',
  'close_positions',
  'configure_tenant',
  'invite_members',
  'use_api',
] as const;

export type Action = (typeof ACTIONS)[number];
export type Role = MemberRole;
export const ROLES = MEMBER_ROLES;

const ANALYST: readonly Action[] = ['view_status', 'view_positions', 'receive_alerts'];
const PORTFOLIO_MANAGER: readonly Action[] = [...ANALYST, 'pause_trading', 'close_positions'];
const TENANT_ADMIN: readonly Action[] = ACTIONS;
const API_USER: readonly Action[] = ['view_status', 'view_positions', 'use_api'];

export const PERMISSIONS: Readonly<Record<Role, ReadonlySet<Action>>> = {
  analyst: new Set(ANALYST),
  portfolio_manager: new Set(PORTFOLIO_MANAGER),
  tenant_admin: new Set(TENANT_ADMIN),
  api_user: new Set(API_USER),
};

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  tenant_admin: 'desk admin',
  portfolio_manager: 'portfolio manager',
  analyst: 'analyst',
  api_user: 'API user',
};

export const ACTION_LABELS: Readonly<Record<Action, string>> = {
  view_status: 'view the trading status',
  view_positions: 'view positions',
  receive_alerts: 'receive alerts',
  pause_trading: 'pause or resume trading',
  close_positions: 'close positions',
  configure_tenant: 'change the desk configuration',
  invite_members: 'invite members',
  use_api: 'use the HTTP API',
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (MEMBER_ROLES as readonly string[]).includes(value);
}

export function isAction(value: unknown): value is Action {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value);
}

export function can(role: Role | null | undefined, action: Action): boolean {
  return role !== null && role !== undefined && PERMISSIONS[role].has(action);
}

/** The roles that may perform `action`, most common first (for messages and docs). */
export function rolesAllowedTo(action: Action): Role[] {
  return (['analyst', 'portfolio_manager', 'tenant_admin', 'api_user'] as const).filter((role) => PERMISSIONS[role].has(action));
}

/**
 * Asserts that `role` may perform `action`; otherwise throws ForbiddenError with a message
 * a user can act on (which roles may). `role` is null/undefined for someone with no
 * membership in the tenant at hand.
 */
export function requireRole(role: Role | null | undefined, action: Action): asserts role is Role {
  if (can(role, action)) return;
  const allowed = rolesAllowedTo(action).map((r) => ROLE_LABELS[r]);
  if (role === null || role === undefined) {
    throw new ForbiddenError('not_a_member', `You are not a member of this desk, so you cannot ${ACTION_LABELS[action]}. Ask a desk admin for an invite.`);
  }
  throw new ForbiddenError(
    'role_forbidden',
    `As ${withArticle(ROLE_LABELS[role])} you cannot ${ACTION_LABELS[action]}; that needs the role of ${joinOr(allowed)}.`,
  );
}

function withArticle(label: string): string {
  return /^[aeiou]/i.test(label) ? `an ${label}` : `a ${label}`;
}

function joinOr(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
