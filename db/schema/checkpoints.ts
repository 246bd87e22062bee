import { sql } from 'drizzle-orm';
import { bigint, foreignKey, index, integer, jsonb, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { images, models } from './catalogue';
import { modelregistry, softDelete } from './common';

/**
 * Training checkpoints of a model version (seed: "linked to a model version entity and should
 * refer to external or internal asset files"): the files stay where they are, the row points at them.
 */
export const checkpoints = modelregistry.table(
  'checkpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    modelId: uuid('model_id').notNull(),
    /** The version (tag) it belongs to, and the image that tag named when it was recorded. */
    tag: varchar('tag', { length: 128 }).notNull(),
    imageId: uuid('image_id'),
    name: varchar('name', { length: 255 }).notNull(),
    uri: varchar('uri', { length: 2048 }).notNull(),
    format: varchar('format', { length: 100 }),
    framework: varchar('framework', { length: 100 }),
    step: bigint('step', { mode: 'number' }),
    epoch: integer('epoch'),
    metrics: jsonb('metrics').$type<Record<string, number>>(),
    description: varchar('description', { length: 4096 }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    ...softDelete(),
  },
  (t) => [
    foreignKey({ name: 'FK_checkpoints_models_model_id', columns: [t.modelId], foreignColumns: [models.id] }).onDelete('cascade'),
    foreignKey({ name: 'FK_checkpoints_images_image_id', columns: [t.imageId], foreignColumns: [images.id] }).onDelete('set null'),
    // One live checkpoint of a name per version; archived ones keep their history.
    uniqueIndex('ux_checkpoints_version_name').on(t.modelId, t.tag, t.name).where(sql`not ${t.isArchived}`),
    index('ix_checkpoints_model_tag').on(t.modelId, t.tag),
  ],
);
