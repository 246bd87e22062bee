CREATE INDEX "IX_images_model_id" ON "modelregistry"."images" USING btree ("model_id");--> statement-breakpoint
CREATE INDEX "IX_models_project_list" ON "modelregistry"."models" USING btree ("project_id","is_archived","name","id");--> statement-breakpoint
CREATE INDEX "IX_signatures_image_id" ON "modelregistry"."signatures" USING btree ("image_id");--> statement-breakpoint
CREATE INDEX "IX_tags_image_id" ON "modelregistry"."tags" USING btree ("image_id");--> statement-breakpoint
CREATE INDEX "IX_validation_results_image_id" ON "modelregistry"."validation_results" USING btree ("image_id");