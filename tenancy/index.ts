export {
  createTenancy,
  DEFAULT_INVITE_TTL_HOURS,
  type IssuedInvite,
  type MembershipView,
  type MemberView,
  type Redemption,
  type TelegramUserInput,
  type Tenancy,
  type TenancyDeps,
  type TenancyEvent,
  type TenancyNotification,
  type TenantConfigVersion,
} from './service';
export {
  ACTIONS,
  ACTION_LABELS,
  PERMISSIONS,
  ROLES,
  ROLE_LABELS,
  can,
  isAction,
  isRole,
  requireRole,
  rolesAllowedTo,
  type Action,
  type Role,
} from './permissions';
export { DEFAULT_TENANT_CONFIG, mergeConfig, parseTenantConfig, tenantConfigSchema, type TenantConfig, type TenantConfigPatch } from './config';
export type { AuditEntry, Tenant, TenantPlan, TenantStatus, User } from '../db/postgres/schema';
