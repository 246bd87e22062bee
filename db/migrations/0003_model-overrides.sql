CREATE TABLE "modelregistry"."model_overrides" (
	"model_id" uuid PRIMARY KEY NOT NULL,
	"description" varchar(4096),
	"labels" text[],
	"custom_metadata" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "modelregistry"."model_overrides" ADD CONSTRAINT "FK_model_overrides_models_model_id" FOREIGN KEY ("model_id") REFERENCES "modelregistry"."models"("id") ON DELETE cascade ON UPDATE no action;