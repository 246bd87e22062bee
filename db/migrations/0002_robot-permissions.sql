ALTER TABLE "modelregistry"."robot_accounts" ADD COLUMN "description" varchar(1024);--> statement-breakpoint
ALTER TABLE "modelregistry"."robot_accounts" ADD COLUMN "permissions" jsonb;