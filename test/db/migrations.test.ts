import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';

// Every table, unique index and FK the seed's DDL declares, by its own names.
const SEED_TABLES = [
  'model_types', 'signature_types', 'validation_statuses', 'projects', 'repositories', 'models',
  'images', 'manifests', 'metadata', 'signatures', 'tags', 'validation_results',
];
const SEED_UNIQUE_INDEXES = [
  'IX_model_types_name', 'ux_model_type_name_and_code', 'IX_signature_types_name',
  'ux_signature_type_name_and_code', 'ux_image_status_name', 'ux_repository_name_project',
];
const SEED_FOREIGN_KEYS = [
  'FK_repositories_projects_project_id', 'FK_models_model_types_type_id', 'FK_models_projects_project_id',
  'FK_models_repositories_repository_id', 'FK_images_models_model_id', 'FK_images_repositories_repository_id',
  'FK_manifests_images_image_id', 'FK_metadata_images_image_id', 'FK_metadata_metadata_parent_id',
  'FK_metadata_models_model_id', 'FK_signatures_images_image_id', 'FK_signatures_repositories_repository_id',
  'FK_signatures_signature_types_type_id', 'FK_tags_images_image_id', 'FK_validation_results_images_image_id',
  'FK_validation_results_repositories_repository_id', 'FK_validation_results_validation_statuses_status_id',
];
const SOFT_DELETE_TABLES = SEED_TABLES.slice(3);

describe('migrations on a real PostgreSQL', () => {
  let database: Database;
  beforeAll(() => {
    database = connect(inject('databaseUrl'), { max: 1 });
  });
  afterAll(() => database.close());

  it('are re-runnable', async () => {
    await expect(migrateDatabase(database)).resolves.toBeUndefined();
  });

  it('create every seed table plus tenants and webhook_events in schema modelregistry', async () => {
    const rows = await database.sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'modelregistry'`;
    const names = rows.map((r) => r.table_name);
    expect(names).toEqual(expect.arrayContaining([...SEED_TABLES, 'tenants', 'webhook_events']));
  });

  it('create every unique index of the seed', async () => {
    const rows = await database.sql<{ indexname: string; indexdef: string }[]>`
      select indexname, indexdef from pg_indexes where schemaname = 'modelregistry'`;
    for (const name of SEED_UNIQUE_INDEXES) {
      const index = rows.find((r) => r.indexname === name);
      expect(index, name).toBeDefined();
      expect(index!.indexdef).toMatch(/^CREATE UNIQUE INDEX/);
    }
    expect(rows.find((r) => r.indexname === 'ux_repository_name_project')!.indexdef).toContain(
      '(name, namespace, project_id, is_archived, deleted_at)',
    );
  });

  it('create every foreign key of the seed', async () => {
    const rows = await database.sql<{ conname: string }[]>`
      select conname from pg_constraint c join pg_namespace n on n.oid = c.connamespace
      where n.nspname = 'modelregistry' and c.contype = 'f'`;
    expect(rows.map((r) => r.conname)).toEqual(expect.arrayContaining(SEED_FOREIGN_KEYS));
  });

  it('give soft-delete columns with deleted_at defaulting to -infinity', async () => {
    const rows = await database.sql<{ table_name: string; column_default: string; is_nullable: string }[]>`
      select table_name, column_default, is_nullable from information_schema.columns
      where table_schema = 'modelregistry' and column_name = 'deleted_at'`;
    for (const table of SOFT_DELETE_TABLES) {
      const column = rows.find((r) => r.table_name === table);
      expect(column, table).toBeDefined();
      expect(column!.column_default).toContain('-infinity');
      expect(column!.is_nullable).toBe('NO');
    }
  });

  it('seed the lookup rows the defaults point at', async () => {
    const [unknownType] = await database.sql`select code from modelregistry.model_types where id = 0`;
    expect(unknownType?.code).toBe('unknown');
    const [pending] = await database.sql`select name from modelregistry.validation_statuses where id = 0`;
    expect(pending?.name).toBe('pending');
    const signatureTypes = await database.sql`select code from modelregistry.signature_types order by id`;
    expect(signatureTypes.map((r) => r.code)).toEqual(['cosign', 'notation']);
  });
});
