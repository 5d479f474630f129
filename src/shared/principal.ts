/** Roles, from most to least powerful. */
export const ROLES = ['superadmin', 'syndic', 'accountant', 'board_member', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from a verified token. */
export interface Principal {
  /** The token's `sub`: recorded as `uploadedBy`. */
  userId: string;
  organizationId: string;
  role: Role;
  /** Buildings a `board_member` or `owner` may read (`buildings` claim). */
  buildingIds: readonly string[];
}
