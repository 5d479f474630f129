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
  /** Where the call came from, for the audit trail: set by the HTTP layer and the CLI. */
  origin?: RequestOrigin;
}

/** The request behind a call, as the audit trail records it. */
export interface RequestOrigin {
  /** `api`: a request with a token; `cli`: an operator's command. */
  channel: 'api' | 'cli';
  requestId?: string;
  clientAddress?: string;
  userAgent?: string;
}
