CREATE TABLE "modelregistry"."cache_entries" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"upstream_id" uuid NOT NULL,
	"registry_id" uuid,
	"tenant_id" varchar NOT NULL,
	"relative_path" varchar(1024) NOT NULL,
	"digest" varchar(256),
	"upstream_checked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"size" bigint NOT NULL,
	"status" smallint DEFAULT 0 NOT NULL,
	"file" text,
	"object_storage_key" varchar(1024) NOT NULL,
	"upstream_etag" varchar(255),
	"content_type" varchar(255),
	"file_md5" "bytea",
	"file_sha1" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pk_cache_entries" PRIMARY KEY("upstream_id","id")
) PARTITION BY HASH ("upstream_id");
--> statement-breakpoint
-- Hand-written (drizzle-kit cannot say PARTITION BY): 8 hash partitions by upstream, see db/schema/virtual-registries.ts.
CREATE TABLE "modelregistry"."cache_entries_00" PARTITION OF "modelregistry"."cache_entries" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "modelregistry"."cache_entries_01" PARTITION OF "modelregistry"."cache_entries" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "modelregistry"."cache_entries_02" PARTITION OF "modelregistry"."cache_entries" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "modelregistry"."cache_entries_03" PARTITION OF "modelregistry"."cache_entries" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "modelregistry"."cache_entries_04" PARTITION OF "modelregistry"."cache_entries" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "modelregistry"."cache_entries_05" PARTITION OF "modelregistry"."cache_entries" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "modelregistry"."cache_entries_06" PARTITION OF "modelregistry"."cache_entries" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "modelregistry"."cache_entries_07" PARTITION OF "modelregistry"."cache_entries" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "modelregistry"."upstreams" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" varchar NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"url" varchar(2048) NOT NULL,
	"cache_validity_hours" integer DEFAULT 24 NOT NULL,
	"credential_kind" varchar(32) DEFAULT 'none' NOT NULL,
	"username" varchar(255),
	"sealed_secret" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	CONSTRAINT "ck_upstreams_cache_validity_hours" CHECK ("modelregistry"."upstreams"."cache_validity_hours" >= 0),
	CONSTRAINT "ck_upstreams_url_scheme" CHECK ("modelregistry"."upstreams"."url" ~ '^https?://')
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."virtual_registries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" varchar NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."virtual_registry_upstreams" (
	"registry_id" uuid NOT NULL,
	"upstream_id" uuid NOT NULL,
	"position" smallint DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pk_virtual_registry_upstreams" PRIMARY KEY("registry_id","position"),
	CONSTRAINT "ck_virtual_registry_upstreams_position" CHECK ("modelregistry"."virtual_registry_upstreams"."position" BETWEEN 1 AND 5)
);
--> statement-breakpoint
ALTER TABLE "modelregistry"."cache_entries" ADD CONSTRAINT "FK_cache_entries_upstreams" FOREIGN KEY ("upstream_id") REFERENCES "modelregistry"."upstreams"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."cache_entries" ADD CONSTRAINT "FK_cache_entries_virtual_registries" FOREIGN KEY ("registry_id") REFERENCES "modelregistry"."virtual_registries"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."cache_entries" ADD CONSTRAINT "FK_cache_entries_tenants" FOREIGN KEY ("tenant_id") REFERENCES "modelregistry"."tenants"("name") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."upstreams" ADD CONSTRAINT "FK_upstreams_tenants_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "modelregistry"."tenants"("name") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."virtual_registries" ADD CONSTRAINT "FK_virtual_registries_tenants_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "modelregistry"."tenants"("name") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."virtual_registry_upstreams" ADD CONSTRAINT "FK_virtual_registry_upstreams_registry" FOREIGN KEY ("registry_id") REFERENCES "modelregistry"."virtual_registries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."virtual_registry_upstreams" ADD CONSTRAINT "FK_virtual_registry_upstreams_upstream" FOREIGN KEY ("upstream_id") REFERENCES "modelregistry"."upstreams"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ux_cache_entries_upstream_path" ON "modelregistry"."cache_entries" USING btree ("upstream_id","relative_path");--> statement-breakpoint
CREATE INDEX "ix_cache_entries_upstream_digest" ON "modelregistry"."cache_entries" USING btree ("upstream_id","digest");--> statement-breakpoint
CREATE UNIQUE INDEX "ux_upstreams_tenant_name" ON "modelregistry"."upstreams" USING btree ("tenant_id","name") WHERE not "modelregistry"."upstreams"."is_archived";--> statement-breakpoint
CREATE UNIQUE INDEX "ux_virtual_registries_tenant_name" ON "modelregistry"."virtual_registries" USING btree ("tenant_id","name") WHERE not "modelregistry"."virtual_registries"."is_archived";--> statement-breakpoint
CREATE UNIQUE INDEX "ux_virtual_registry_upstreams_registry_upstream" ON "modelregistry"."virtual_registry_upstreams" USING btree ("registry_id","upstream_id");--> statement-breakpoint
CREATE INDEX "ix_virtual_registry_upstreams_upstream" ON "modelregistry"."virtual_registry_upstreams" USING btree ("upstream_id");