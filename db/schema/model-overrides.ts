import { sql } from 'drizzle-orm';
import { foreignKey, jsonb, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { models } from './catalogue';
import { modelregistry } from './common';

/**
 * What users set on a model through the API (PATCH). It takes precedence over what artifacts
 * say: a later push or refresh keeps a user's description and labels (null: not set by a user).
 */
export const modelOverrides = modelregistry.table(
  'model_overrides',
  {
    modelId: uuid('model_id').primaryKey(),
    description: varchar('description', { length: 4096 }),
    labels: text('labels').array(),
    customMetadata: jsonb('custom_metadata').$type<Record<string, string>>(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  },
  (t) => [foreignKey({ name: 'FK_model_overrides_models_model_id', columns: [t.modelId], foreignColumns: [models.id] }).onDelete('cascade')],
);
