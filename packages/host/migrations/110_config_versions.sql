-- What the extension invoker caches (the installs serving a merchant's points, their store overrides,
-- their effective settings, its stores) is keyed by a version per merchant that every change to it
-- bumps, here, in the changing transaction, and announces on channel tk_config (NOTIFY, delivered to
-- every listening host at commit): a host drops the merchant's cache when told, and re-reads the
-- version (one small row) when its feed was down or a second has passed — the safety net for a lost
-- message. A tier's change (which plugins and points it allows) bumps and announces the '*' row, which
-- every merchant's key includes.
CREATE TABLE config_versions (
  merchant_id text PRIMARY KEY,
  version bigint NOT NULL
);

CREATE FUNCTION tk_bump_config_version(merchant text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO config_versions (merchant_id, version) VALUES (merchant, 1)
  ON CONFLICT (merchant_id) DO UPDATE SET version = config_versions.version + 1;
  PERFORM pg_notify('tk_config', merchant);
END;
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
-- A store moved to another merchant or removed: the invoker keeps the stores it found (a store check per call otherwise).
CREATE TRIGGER stores_config_changed AFTER UPDATE OF merchant_id OR DELETE ON stores FOR EACH ROW EXECUTE FUNCTION tk_config_changed();

-- The principals of bearer tokens are cached per host process in the same way: a revoked token, or a
-- staff member moved to another store, is announced on tk_tokens, and every host forgets what it held.
CREATE FUNCTION tk_tokens_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tk_tokens', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER api_tokens_changed AFTER UPDATE OR DELETE ON api_tokens FOR EACH STATEMENT EXECUTE FUNCTION tk_tokens_changed();
CREATE TRIGGER staff_tokens_changed AFTER UPDATE OF store_id, merchant_id OR DELETE ON staff FOR EACH STATEMENT EXECUTE FUNCTION tk_tokens_changed();
