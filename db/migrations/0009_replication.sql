CREATE TABLE "modelregistry"."model_version_locations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"model_name" varchar(255) NOT NULL,
	"tag" varchar(128) NOT NULL,
	"remote_registry_id" uuid NOT NULL,
	"remote_repository" varchar(512) NOT NULL,
	"local_digest" varchar(128),
	"remote_digest" varchar(128),
	"status" varchar(16) NOT NULL,
	"execution_id" uuid,
	"size_bytes" bigint,
	"detail" varchar(2048),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."replication_executions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"harbor_instance" varchar(255) NOT NULL,
	"harbor_execution_id" integer NOT NULL,
	"harbor_policy_id" integer NOT NULL,
	"rule_id" uuid,
	"project_id" uuid NOT NULL,
	"purpose" varchar(16) NOT NULL,
	"status" varchar(32) NOT NULL,
	"status_text" varchar(2048),
	"trigger" varchar(16),
	"total" integer DEFAULT 0 NOT NULL,
	"succeed" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"in_progress" integer DEFAULT 0 NOT NULL,
	"stopped" integer DEFAULT 0 NOT NULL,
	"tasks" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"observed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "modelregistry"."replication_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" varchar(255) NOT NULL,
	"direction" varchar(8) NOT NULL,
	"remote_registry_id" uuid NOT NULL,
	"remote_namespace" varchar(255),
	"trigger" varchar(16) NOT NULL,
	"cron" varchar(128),
	"name_filter" varchar(255),
	"tag_filter" varchar(255),
	"label_filter" varchar(255),
	"replicate_deletion" boolean DEFAULT false NOT NULL,
	"override" boolean DEFAULT false NOT NULL,
	"speed_kbps" integer DEFAULT -1 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"description" varchar(1024),
	"harbor_policy_id" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL
);
--> statement-breakpoint
ALTER TABLE "modelregistry"."images" ADD COLUMN "approved_by" varchar;--> statement-breakpoint
ALTER TABLE "modelregistry"."images" ADD COLUMN "approved_by_subject" varchar;--> statement-breakpoint
ALTER TABLE "modelregistry"."images" ADD COLUMN "approved_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "modelregistry"."model_version_locations" ADD CONSTRAINT "FK_model_version_locations_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "modelregistry"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."model_version_locations" ADD CONSTRAINT "FK_model_version_locations_remote_registries_id" FOREIGN KEY ("remote_registry_id") REFERENCES "modelregistry"."remote_registries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."model_version_locations" ADD CONSTRAINT "FK_model_version_locations_executions_id" FOREIGN KEY ("execution_id") REFERENCES "modelregistry"."replication_executions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."replication_executions" ADD CONSTRAINT "FK_replication_executions_rules_rule_id" FOREIGN KEY ("rule_id") REFERENCES "modelregistry"."replication_rules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."replication_executions" ADD CONSTRAINT "FK_replication_executions_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "modelregistry"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."replication_rules" ADD CONSTRAINT "FK_replication_rules_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "modelregistry"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."replication_rules" ADD CONSTRAINT "FK_replication_rules_remote_registries_id" FOREIGN KEY ("remote_registry_id") REFERENCES "modelregistry"."remote_registries"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ux_model_version_locations_version_remote" ON "modelregistry"."model_version_locations" USING btree ("project_id","model_name","tag","remote_registry_id","remote_repository");--> statement-breakpoint
CREATE INDEX "IX_model_version_locations_remote" ON "modelregistry"."model_version_locations" USING btree ("remote_registry_id","remote_repository");--> statement-breakpoint
CREATE UNIQUE INDEX "ux_replication_executions_harbor" ON "modelregistry"."replication_executions" USING btree ("harbor_instance","harbor_execution_id");--> statement-breakpoint
CREATE INDEX "IX_replication_executions_rule" ON "modelregistry"."replication_executions" USING btree ("rule_id","created_at");--> statement-breakpoint
CREATE INDEX "IX_replication_executions_running" ON "modelregistry"."replication_executions" USING btree ("observed_at") WHERE "modelregistry"."replication_executions"."status" = 'InProgress';--> statement-breakpoint
CREATE UNIQUE INDEX "ux_replication_rules_project_name" ON "modelregistry"."replication_rules" USING btree ("project_id","name") WHERE not "modelregistry"."replication_rules"."is_archived";--> statement-breakpoint
CREATE INDEX "IX_replication_rules_remote_registry_id" ON "modelregistry"."replication_rules" USING btree ("remote_registry_id");