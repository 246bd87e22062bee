import { integer, primaryKey, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { modelregistry } from './common';

export const modelTypes = modelregistry.table(
  'model_types',
  {
    id: integer('id').notNull(),
    code: varchar('code', { length: 150 }).notNull(),
    name: varchar('name', { length: 150 }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'PK_model_types', columns: [t.id] }),
    uniqueIndex('IX_model_types_name').on(t.name),
    uniqueIndex('ux_model_type_name_and_code').on(t.name, t.code),
  ],
);

export const signatureTypes = modelregistry.table(
  'signature_types',
  {
    id: integer('id').notNull(),
    code: varchar('code', { length: 150 }).notNull(),
    name: varchar('name', { length: 150 }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'PK_signature_types', columns: [t.id] }),
    uniqueIndex('IX_signature_types_name').on(t.name),
    uniqueIndex('ux_signature_type_name_and_code').on(t.name, t.code),
  ],
);

export const validationStatuses = modelregistry.table(
  'validation_statuses',
  {
    id: integer('id').notNull(),
    name: varchar('name', { length: 150 }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'PK_validation_statuses', columns: [t.id] }),
    uniqueIndex('ux_image_status_name').on(t.name),
  ],
);
