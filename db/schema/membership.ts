import { foreignKey, jsonb, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { MembershipChanges, ObservedHarborMember, ProjectMembers } from '../../lib/membership';
import { projects } from './catalogue';
import { modelregistry } from './common';

/** Read model of `GET …/members`: a project's membership as the last membership workflow left it. */
export const projectMemberships = modelregistry.table(
  'project_memberships',
  {
    projectId: uuid('project_id').notNull(),
    /** Keycloak users per project role. */
    keycloak: jsonb('keycloak').$type<ProjectMembers>().notNull(),
    harbor: jsonb('harbor').$type<ObservedHarborMember[]>().notNull(),
    /** What a sync would still change, as of `observed_at`. */
    drift: jsonb('drift').$type<MembershipChanges>().notNull(),
    observedAt: timestamp('observed_at', { withTimezone: true, mode: 'string' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'PK_project_memberships', columns: [t.projectId] }),
    foreignKey({ name: 'FK_project_memberships_projects_project_id', columns: [t.projectId], foreignColumns: [projects.id] }).onDelete('cascade'),
  ],
);
