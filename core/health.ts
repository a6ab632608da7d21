/** Health of the roles and dependencies of one process, as /healthz reports it. */
export type HealthStatus = 'ok' | 'degraded' | 'down';

export interface ComponentHealth {
  status: HealthStatus;
  /** Short, secret-free explanation when not ok ("redis: connection refused"). */
  detail?: string;
  [key: string]: unknown;
}

export interface HealthReport {
  status: HealthStatus;
  uptimeSeconds: number;
  roles: Record<string, ComponentHealth>;
  dependencies: Record<string, ComponentHealth>;
}

/** The worst status wins: one down dependency makes the process degraded, not "ok". */
export function overallStatus(parts: ComponentHealth[]): HealthStatus {
  if (parts.some((p) => p.status !== 'ok')) return 'degraded';
  return 'ok';
}
