import { ROLE_LABELS, isRole } from '../tenancy';

export { escapeHtml } from '../core';

export function roleLabel(role: string): string {
  return isRole(role) ? ROLE_LABELS[role] : role;
}
