CREATE TABLE "modelregistry"."cleanup_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" varchar NOT NULL,
	"project_id" uuid,
	"policy" jsonb NOT NULL,
	"harbor_retention_id" integer,
	"updated_by" varchar(255),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."cleanup_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workflow_id" varchar(512) NOT NULL,
	"project_id" uuid NOT NULL,
	"trigger" varchar(16) NOT NULL,
	"dry_run" boolean NOT NULL,
	"mode" varchar(16) NOT NULL,
	"status" varchar(24) NOT NULL,
	"requested_by" varchar(255),
	"approved_by" varchar(255),
	"total" integer DEFAULT 0 NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"bytes_freed" bigint DEFAULT 0 NOT NULL,
	"summary" jsonb,
	"report" jsonb,
	"detail" varchar(2048),
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "modelregistry"."cleanup_policies" ADD CONSTRAINT "FK_cleanup_policies_tenants_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "modelregistry"."tenants"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."cleanup_policies" ADD CONSTRAINT "FK_cleanup_policies_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "modelregistry"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."cleanup_runs" ADD CONSTRAINT "FK_cleanup_runs_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "modelregistry"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ux_cleanup_policies_project" ON "modelregistry"."cleanup_policies" USING btree ("project_id") WHERE "modelregistry"."cleanup_policies"."project_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "ux_cleanup_policies_tenant_default" ON "modelregistry"."cleanup_policies" USING btree ("tenant_id") WHERE "modelregistry"."cleanup_policies"."project_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "ux_cleanup_runs_active_project" ON "modelregistry"."cleanup_runs" USING btree ("project_id") WHERE "modelregistry"."cleanup_runs"."status" in ('preparing', 'awaiting_approval', 'running');--> statement-breakpoint
CREATE INDEX "IX_cleanup_runs_project_started" ON "modelregistry"."cleanup_runs" USING btree ("project_id","started_at","id");