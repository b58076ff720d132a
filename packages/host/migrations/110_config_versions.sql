-- What the extension invoker caches (the installs serving a merchant's points, their store overrides,
-- their effective settings) is keyed by a version per merchant that every change to it bumps, here,
-- in the changing transaction: a host reads the version (one small row) with each call and reuses
-- what it read at that version, so a settings change, an upgrade, a rollback or an uninstall is seen
-- by every host process on its next call, with no invalidation message to lose. A tier's change
-- (which plugins and points it allows) bumps the '*' row, which every merchant's key includes.
CREATE TABLE config_versions (
  merchant_id text PRIMARY KEY,
  version bigint NOT NULL
);

CREATE FUNCTION tk_bump_config_version(merchant text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO config_versions (merchant_id, version) VALUES (merchant, 1)
  ON CONFLICT (merchant_id) DO UPDATE SET version = config_versions.version + 1;
$$;

CREATE FUNCTION tk_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'merchant_tiers' THEN
    PERFORM tk_bump_config_version('*');
  ELSIF TG_TABLE_NAME = 'merchants' THEN
    PERFORM tk_bump_config_version(COALESCE(NEW.id, OLD.id));
  ELSE
    IF TG_OP <> 'INSERT' THEN PERFORM tk_bump_config_version(OLD.merchant_id); END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.merchant_id IS DISTINCT FROM OLD.merchant_id) THEN PERFORM tk_bump_config_version(NEW.merchant_id); END IF;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER installs_config_changed AFTER INSERT OR UPDATE OR DELETE ON installs FOR EACH ROW EXECUTE FUNCTION tk_config_changed();
CREATE TRIGGER install_store_overrides_config_changed AFTER INSERT OR UPDATE OR DELETE ON install_store_overrides FOR EACH ROW EXECUTE FUNCTION tk_config_changed();
CREATE TRIGGER merchants_config_changed AFTER UPDATE OF tier_id OR DELETE ON merchants FOR EACH ROW EXECUTE FUNCTION tk_config_changed();
CREATE TRIGGER merchant_tiers_config_changed AFTER INSERT OR UPDATE OR DELETE ON merchant_tiers FOR EACH STATEMENT EXECUTE FUNCTION tk_config_changed();
