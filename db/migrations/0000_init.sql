CREATE SCHEMA "modelregistry";
--> statement-breakpoint
CREATE TABLE "modelregistry"."model_types" (
	"id" integer NOT NULL,
	"code" varchar(150) NOT NULL,
	"name" varchar(150) NOT NULL,
	CONSTRAINT "PK_model_types" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."signature_types" (
	"id" integer NOT NULL,
	"code" varchar(150) NOT NULL,
	"name" varchar(150) NOT NULL,
	CONSTRAINT "PK_signature_types" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."validation_statuses" (
	"id" integer NOT NULL,
	"name" varchar(150) NOT NULL,
	CONSTRAINT "PK_validation_statuses" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."tenants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"company_name" varchar(255) NOT NULL,
	"url" varchar(2048) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	CONSTRAINT "ux_tenant_name" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."images" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"digest" varchar NOT NULL,
	"harbor_id" integer,
	"model_id" uuid NOT NULL,
	"repository_id" uuid NOT NULL,
	"is_approved" boolean DEFAULT false NOT NULL,
	"is_verified" boolean DEFAULT false NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	CONSTRAINT "PK_images" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."manifests" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"content" varchar NOT NULL,
	"tag" varchar NOT NULL,
	"image_id" uuid NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	CONSTRAINT "PK_manifests" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."metadata" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar NOT NULL,
	"value" varchar,
	"model_id" uuid NOT NULL,
	"image_id" uuid,
	"parent_id" uuid,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	CONSTRAINT "PK_metadata" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."models" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar NOT NULL,
	"display_name" varchar,
	"description" varchar,
	"author" varchar,
	"organization" varchar,
	"url" varchar,
	"type_id" integer DEFAULT 0 NOT NULL,
	"project_id" uuid NOT NULL,
	"repository_id" uuid NOT NULL,
	"creation_date" timestamp with time zone,
	"license" varchar,
	"tags" text[],
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	CONSTRAINT "PK_models" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."projects" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar NOT NULL,
	"display_name" varchar NOT NULL,
	"description" varchar,
	"is_public" boolean DEFAULT false NOT NULL,
	"harbor_id" integer,
	"tenant_id" varchar NOT NULL,
	"harbor_address" varchar DEFAULT '' NOT NULL,
	"storage_limit" bigint,
	"settings" jsonb,
	"webhook_policy_id" integer,
	"webhook_secret" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	CONSTRAINT "PK_projects" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."repositories" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar NOT NULL,
	"namespace" varchar NOT NULL,
	"full_name" varchar NOT NULL,
	"harbor_id" integer,
	"project_id" uuid NOT NULL,
	"harbor_address" varchar DEFAULT '' NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	CONSTRAINT "PK_repositories" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."signatures" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"digest" varchar NOT NULL,
	"type_id" integer NOT NULL,
	"harbor_id" integer,
	"image_id" uuid,
	"repository_id" uuid NOT NULL,
	"artifact_digest" varchar,
	"artifact_id" integer,
	"artifact_repo" varchar,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	CONSTRAINT "PK_signatures" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."tags" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar NOT NULL,
	"harbor_id" integer,
	"image_id" uuid NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	CONSTRAINT "PK_tags" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."validation_results" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"repository_id" uuid NOT NULL,
	"image_id" uuid,
	"tag" varchar NOT NULL,
	"report_ref" varchar,
	"scanner_name" varchar,
	"scan_status" varchar,
	"scan_severity" varchar,
	"scan_summary" varchar,
	"scan_type" varchar DEFAULT '' NOT NULL,
	"start_time" timestamp with time zone,
	"end_time" timestamp with time zone,
	"xumi_status" varchar,
	"xumi_summary" varchar,
	"xumi_start_time" timestamp with time zone,
	"xumi_end_time" timestamp with time zone,
	"status_id" integer DEFAULT 0 NOT NULL,
	"error_message" varchar,
	"error_details" varchar,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	CONSTRAINT "PK_validation_results" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."robot_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"harbor_robot_id" integer NOT NULL,
	"name" varchar(255) NOT NULL,
	"secret" text NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."audit_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"event_key" varchar(255) NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" varchar(255),
	"action" varchar(128) NOT NULL,
	"resource" varchar(1024) NOT NULL,
	"details" jsonb,
	CONSTRAINT "ux_audit_events_event_key" UNIQUE("event_key")
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."webhook_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" varchar(255) NOT NULL,
	"dedupe_key" varchar(512) NOT NULL,
	"event_type" varchar(128),
	"payload" jsonb,
	"raw_body" text,
	"status" varchar(32) DEFAULT 'received' NOT NULL,
	"error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatched_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "modelregistry"."images" ADD CONSTRAINT "FK_images_models_model_id" FOREIGN KEY ("model_id") REFERENCES "modelregistry"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."images" ADD CONSTRAINT "FK_images_repositories_repository_id" FOREIGN KEY ("repository_id") REFERENCES "modelregistry"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."manifests" ADD CONSTRAINT "FK_manifests_images_image_id" FOREIGN KEY ("image_id") REFERENCES "modelregistry"."images"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."metadata" ADD CONSTRAINT "FK_metadata_images_image_id" FOREIGN KEY ("image_id") REFERENCES "modelregistry"."images"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."metadata" ADD CONSTRAINT "FK_metadata_metadata_parent_id" FOREIGN KEY ("parent_id") REFERENCES "modelregistry"."metadata"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."metadata" ADD CONSTRAINT "FK_metadata_models_model_id" FOREIGN KEY ("model_id") REFERENCES "modelregistry"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."models" ADD CONSTRAINT "FK_models_model_types_type_id" FOREIGN KEY ("type_id") REFERENCES "modelregistry"."model_types"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."models" ADD CONSTRAINT "FK_models_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "modelregistry"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."models" ADD CONSTRAINT "FK_models_repositories_repository_id" FOREIGN KEY ("repository_id") REFERENCES "modelregistry"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."projects" ADD CONSTRAINT "FK_projects_tenants_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "modelregistry"."tenants"("name") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."repositories" ADD CONSTRAINT "FK_repositories_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "modelregistry"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."signatures" ADD CONSTRAINT "FK_signatures_images_image_id" FOREIGN KEY ("image_id") REFERENCES "modelregistry"."images"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."signatures" ADD CONSTRAINT "FK_signatures_repositories_repository_id" FOREIGN KEY ("repository_id") REFERENCES "modelregistry"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."signatures" ADD CONSTRAINT "FK_signatures_signature_types_type_id" FOREIGN KEY ("type_id") REFERENCES "modelregistry"."signature_types"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."tags" ADD CONSTRAINT "FK_tags_images_image_id" FOREIGN KEY ("image_id") REFERENCES "modelregistry"."images"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."validation_results" ADD CONSTRAINT "FK_validation_results_images_image_id" FOREIGN KEY ("image_id") REFERENCES "modelregistry"."images"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."validation_results" ADD CONSTRAINT "FK_validation_results_repositories_repository_id" FOREIGN KEY ("repository_id") REFERENCES "modelregistry"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."validation_results" ADD CONSTRAINT "FK_validation_results_validation_statuses_status_id" FOREIGN KEY ("status_id") REFERENCES "modelregistry"."validation_statuses"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."robot_accounts" ADD CONSTRAINT "FK_robot_accounts_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "modelregistry"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "IX_model_types_name" ON "modelregistry"."model_types" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "ux_model_type_name_and_code" ON "modelregistry"."model_types" USING btree ("name","code");--> statement-breakpoint
CREATE UNIQUE INDEX "IX_signature_types_name" ON "modelregistry"."signature_types" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "ux_signature_type_name_and_code" ON "modelregistry"."signature_types" USING btree ("name","code");--> statement-breakpoint
CREATE UNIQUE INDEX "ux_image_status_name" ON "modelregistry"."validation_statuses" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "ux_project_name" ON "modelregistry"."projects" USING btree ("harbor_address","name","is_archived","deleted_at");--> statement-breakpoint
CREATE INDEX "IX_projects_tenant_id" ON "modelregistry"."projects" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "IX_repositories_project_id" ON "modelregistry"."repositories" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ux_repository_name_project" ON "modelregistry"."repositories" USING btree ("name","namespace","project_id","is_archived","deleted_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ux_robot_accounts_project_robot" ON "modelregistry"."robot_accounts" USING btree ("project_id","harbor_robot_id");--> statement-breakpoint
CREATE INDEX "ix_audit_events_resource" ON "modelregistry"."audit_events" USING btree ("resource","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ux_webhook_events_source_dedupe_key" ON "modelregistry"."webhook_events" USING btree ("source","dedupe_key");--> statement-breakpoint
CREATE INDEX "ix_webhook_events_undispatched" ON "modelregistry"."webhook_events" USING btree ("received_at") WHERE "modelregistry"."webhook_events"."dispatched_at" is null;