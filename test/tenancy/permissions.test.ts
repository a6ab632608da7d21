import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../core/errors';
import { ACTIONS, PERMISSIONS, ROLES, can, isAction, isRole, requireRole, rolesAllowedTo, type Action, type Role } from '../../tenancy';

/** The whole table, spelled out: a change to it must show up here. */
const EXPECTED: Record<Role, Action[]> = {
  analyst: ['view_status', 'view_positions', 'receive_alerts'],
  portfolio_manager: ['view_status', 'view_positions', 'receive_alerts', 'pause_trading', 'close_positions'],
  tenant_admin: ['view_status', 'view_positions', 'receive_alerts', 'pause_trading', 'close_positions', 'configure_tenant', 'invite_members', 'use_api'],
  api_user: ['view_status', 'view_positions', 'use_api'],
};

describe('permissions', () => {
  it('grants each role exactly the actions of the table', () => {
    for (const role of ROLES) {
      expect(ACTIONS.filter((action) => can(role, action)), role).toEqual(EXPECTED[role]);
    }
  });

  it('nests analyst within portfolio manager within tenant admin', () => {
    for (const action of ACTIONS) {
      if (can('analyst', action)) expect(can('portfolio_manager', action), action).toBe(true);
      if (can('portfolio_manager', action)) expect(can('tenant_admin', action), action).toBe(true);
    }
    expect(PERMISSIONS.analyst.size).toBeLessThan(PERMISSIONS.portfolio_manager.size);
    expect(PERMISSIONS.portfolio_manager.size).toBeLessThan(PERMISSIONS.tenant_admin.size);
  });

  it('gives the API user view rights and the API, nothing that changes trading', () => {
    expect(can('api_user', 'use_api')).toBe(true);
    for (const action of ['pause_trading', 'close_positions', 'configure_tenant', 'invite_members', 'receive_alerts'] as const) {
      expect(can('api_user', action), action).toBe(false);
    }
    expect(can('analyst', 'use_api')).toBe(false);
  });

  it('allows nothing to someone without a membership', () => {
    for (const action of ACTIONS) {
      expect(can(null, action)).toBe(false);
      expect(can(undefined, action)).toBe(false);
    }
  });

  it('requireRole passes allowed roles and explains a refusal', () => {
    expect(() => requireRole('portfolio_manager', 'pause_trading')).not.toThrow();
    let thrown: unknown;
    try {
      requireRole('analyst', 'pause_trading');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ForbiddenError);
    expect(thrown).toMatchObject({ code: 'role_forbidden', kind: 'forbidden' });
    expect((thrown as Error).message).toBe('As an analyst you cannot pause or resume trading; that needs the role of portfolio manager or desk admin.');

    expect(() => requireRole(undefined, 'view_status')).toThrow(/not a member of this desk/);
    expect(() => requireRole('api_user', 'invite_members')).toThrow(/As an API user you cannot invite members; that needs the role of desk admin\./);
  });

  it('lists the roles allowed to an action, and recognises roles and actions', () => {
    expect(rolesAllowedTo('view_status')).toEqual(['analyst', 'portfolio_manager', 'tenant_admin', 'api_user']);
    expect(rolesAllowedTo('configure_tenant')).toEqual(['tenant_admin']);
    expect(isRole('tenant_admin')).toBe(true);
    expect(isRole('operator')).toBe(false);
    expect(isAction('use_api')).toBe(true);
    expect(isAction('delete_everything')).toBe(false);
  });
});
