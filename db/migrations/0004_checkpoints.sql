CREATE TABLE "modelregistry"."checkpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"model_id" uuid NOT NULL,
	"tag" varchar(128) NOT NULL,
	"image_id" uuid,
	"name" varchar(255) NOT NULL,
	"uri" varchar(2048) NOT NULL,
	"format" varchar(100),
	"framework" varchar(100),
	"step" bigint,
	"epoch" integer,
	"metrics" jsonb,
	"description" varchar(4096),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user" text,
	"is_archived" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT '-infinity' NOT NULL
);
--> statement-breakpoint
ALTER TABLE "modelregistry"."checkpoints" ADD CONSTRAINT "FK_checkpoints_models_model_id" FOREIGN KEY ("model_id") REFERENCES "modelregistry"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modelregistry"."checkpoints" ADD CONSTRAINT "FK_checkpoints_images_image_id" FOREIGN KEY ("image_id") REFERENCES "modelregistry"."images"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ux_checkpoints_version_name" ON "modelregistry"."checkpoints" USING btree ("model_id","tag","name") WHERE not "modelregistry"."checkpoints"."is_archived";--> statement-breakpoint
CREATE INDEX "ix_checkpoints_model_tag" ON "modelregistry"."checkpoints" USING btree ("model_id","tag");