export { openDatabase, MIGRATIONS_FOLDER, type Database, type DatabaseHandle, type DatabaseQueryResultHKT, type OpenDatabaseOptions, type Schema } from './client';
export { translateDatabaseError, withDatabaseErrors, isConnectionError, isUniqueViolation } from './errors';
export * as schema from './schema';
export {
  tenants,
  users,
  memberships,
  invites,
  tenantConfigs,
  auditLog,
  TENANT_PLANS,
  TENANT_STATUSES,
  MEMBER_ROLES,
  type Tenant,
  type TenantPlan,
  type TenantStatus,
  type MemberRole,
  type User,
  type Membership,
  type Invite,
  type TenantConfigRow,
  type AuditEntry,
} from './schema';
