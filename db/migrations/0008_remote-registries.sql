CREATE TABLE "modelregistry"."remote_registries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"harbor_instance" varchar(255) NOT NULL,
	"harbor_registry_id" integer NOT NULL,
	"name" varchar(255) NOT NULL,
	"tenant_id" varchar,
	"type" varchar(64) NOT NULL,
	"url" varchar(2048) NOT NULL,
	"insecure" boolean DEFAULT false NOT NULL,
	"description" varchar(1024),
	"access_key" varchar(255),
	"sealed_secret" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL
);
--> statement-breakpoint
ALTER TABLE "modelregistry"."remote_registries" ADD CONSTRAINT "FK_remote_registries_tenants_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "modelregistry"."tenants"("name") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ux_remote_registries_instance_name" ON "modelregistry"."remote_registries" USING btree ("harbor_instance","name") WHERE not "modelregistry"."remote_registries"."is_archived";