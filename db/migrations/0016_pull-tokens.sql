CREATE TABLE "modelregistry"."pull_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" varchar NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" varchar(1024),
	"token_hash" "bytea" NOT NULL,
	"virtual_registry_ids" uuid[],
	"created_by" varchar(255) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "modelregistry"."pull_tokens" ADD CONSTRAINT "FK_pull_tokens_tenants_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "modelregistry"."tenants"("name") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ux_pull_tokens_tenant_name" ON "modelregistry"."pull_tokens" USING btree ("tenant_id","name") WHERE "modelregistry"."pull_tokens"."revoked_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "ux_pull_tokens_token_hash" ON "modelregistry"."pull_tokens" USING btree ("token_hash");