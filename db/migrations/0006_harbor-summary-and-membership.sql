CREATE TABLE "modelregistry"."project_memberships" (
	"project_id" uuid NOT NULL,
	"keycloak" jsonb NOT NULL,
	"harbor" jsonb NOT NULL,
	"drift" jsonb NOT NULL,
	"observed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "PK_project_memberships" PRIMARY KEY("project_id")
);
--> statement-breakpoint
ALTER TABLE "modelregistry"."projects" ADD COLUMN "harbor_quota_used_bytes" bigint;--> statement-breakpoint
ALTER TABLE "modelregistry"."projects" ADD COLUMN "harbor_quota_hard_bytes" bigint;--> statement-breakpoint
ALTER TABLE "modelregistry"."projects" ADD COLUMN "harbor_repository_count" integer;--> statement-breakpoint
ALTER TABLE "modelregistry"."projects" ADD COLUMN "harbor_summary_refreshed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "modelregistry"."project_memberships" ADD CONSTRAINT "FK_project_memberships_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "modelregistry"."projects"("id") ON DELETE cascade ON UPDATE no action;