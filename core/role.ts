import type { ComponentHealth } from './health';

export const ROLE_NAMES = ['bot', 'engine', 'notifier', 'admin'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** A started role: reports its health and stops gracefully (finishing in-flight work). */
export interface RunningRole {
  name: RoleName;
  health(): ComponentHealth;
  stop(): Promise<void>;
}
