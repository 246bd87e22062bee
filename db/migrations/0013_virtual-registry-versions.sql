CREATE TABLE "modelregistry"."virtual_registry_versions" (
	"tenant_id" varchar PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
-- Hand-written (drizzle-kit cannot say triggers): any change to a tenant's virtual registries, their
-- upstream lists or its upstreams bumps the tenant's version in the same transaction, so the pull
-- path's in-memory resolutions are checked against it (db/cache-entries.ts). Rows of
-- virtual_registry_upstreams name their registry, whose tenant is looked up (none when the registry
-- itself is being deleted: its own trigger bumps).
CREATE FUNCTION "modelregistry"."bump_virtual_registry_version"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  tenant varchar := changed->>'tenant_id';
BEGIN
  IF tenant IS NULL THEN
    SELECT tenant_id INTO tenant FROM "modelregistry"."virtual_registries" WHERE id = (changed->>'registry_id')::uuid;
  END IF;
  IF tenant IS NOT NULL THEN
    INSERT INTO "modelregistry"."virtual_registry_versions" AS v (tenant_id, version) VALUES (tenant, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "tr_upstreams_version" AFTER INSERT OR UPDATE OR DELETE ON "modelregistry"."upstreams" FOR EACH ROW EXECUTE FUNCTION "modelregistry"."bump_virtual_registry_version"();--> statement-breakpoint
CREATE TRIGGER "tr_virtual_registries_version" AFTER INSERT OR UPDATE OR DELETE ON "modelregistry"."virtual_registries" FOR EACH ROW EXECUTE FUNCTION "modelregistry"."bump_virtual_registry_version"();--> statement-breakpoint
CREATE TRIGGER "tr_virtual_registry_upstreams_version" AFTER INSERT OR UPDATE OR DELETE ON "modelregistry"."virtual_registry_upstreams" FOR EACH ROW EXECUTE FUNCTION "modelregistry"."bump_virtual_registry_version"();
