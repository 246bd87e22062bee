-- Lookup rows the seed's defaults depend on: models.type_id and validation_results.status_id
-- default to 0, so id 0 must exist. ON CONFLICT keeps the migration re-runnable by hand.
INSERT INTO "modelregistry"."model_types" ("id", "code", "name") VALUES
  (0, 'unknown', 'Unknown'),
  (1, 'text-generation', 'Text generation'),
  (2, 'text-to-image', 'Text to image'),
  (3, 'image-to-image', 'Image to image'),
  (4, 'text-to-video', 'Text to video'),
  (5, 'embedding', 'Embedding'),
  (6, 'classification', 'Classification'),
  (7, 'speech', 'Speech')
ON CONFLICT ("id") DO NOTHING;
--> statement-breakpoint
INSERT INTO "modelregistry"."signature_types" ("id", "code", "name") VALUES
  (1, 'cosign', 'Cosign'),
  (2, 'notation', 'Notation')
ON CONFLICT ("id") DO NOTHING;
--> statement-breakpoint
-- Harbor's scan states (pending, running, success, error, stopped) plus the verdict of our own checks.
INSERT INTO "modelregistry"."validation_statuses" ("id", "name") VALUES
  (0, 'pending'),
  (1, 'running'),
  (2, 'success'),
  (3, 'error'),
  (4, 'stopped')
ON CONFLICT ("id") DO NOTHING;
