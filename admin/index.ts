/** The admin HTTP app (fastify) and its role. */
export { buildAdmin, type AdminDeps } from './app';
export { startAdminRole, type AdminRole, type AdminRoleDeps } from './role';
