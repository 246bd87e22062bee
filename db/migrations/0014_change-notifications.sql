-- API processes cache rows that rarely change (projects: who owns one, whether it is public) and drop
-- them when PostgreSQL says their table changed (db/change-feed.ts). One notification per statement,
-- its payload the table's name; PostgreSQL folds repeats within a transaction and delivers them at commit.
CREATE FUNCTION "modelregistry"."notify_table_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('modelregistry_changes', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "projects_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "modelregistry"."projects"
  FOR EACH STATEMENT EXECUTE FUNCTION "modelregistry"."notify_table_change"();
