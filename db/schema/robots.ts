import { sql } from 'drizzle-orm';
import { foreignKey, integer, jsonb, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { projects } from './catalogue';
import { modelregistry, softDelete } from './common';

/** Harbor project robot accounts the service created; the secret only sealed (lib/secrets). */
export const robotAccounts = modelregistry.table(
  'robot_accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id').notNull(),
    harborRobotId: integer('harbor_robot_id').notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    secret: text('secret').notNull(),
    description: varchar('description', { length: 1024 }),
    /** The service's permission names (lib/robots.ts), as granted in Harbor. */
    permissions: jsonb('permissions').$type<string[]>(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'string' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    ...softDelete(),
  },
  (t) => [
    foreignKey({ name: 'FK_robot_accounts_projects_project_id', columns: [t.projectId], foreignColumns: [projects.id] }).onDelete('cascade'),
    uniqueIndex('ux_robot_accounts_project_robot').on(t.projectId, t.harborRobotId),
  ],
);
