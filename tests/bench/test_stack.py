import pytest

from bench.stack import changes_environment, tracker_store_config


def test_tracker_store_sqlite_is_the_embedded_profiles_store_on_a_file_in_the_run_folder(tmp_path):
    assert tracker_store_config("sqlite", tmp_path) == {
        "type": "bot.scale.tracker_store.SQLiteTrackerStore",
        "dialect": "sqlite",
        "db": str(tmp_path / "tracker.db"),
    }


def test_tracker_store_memory_leaves_rasas_default():
    assert tracker_store_config("memory", None) is None  # type: ignore[arg-type]


def test_tracker_store_postgresql_url_becomes_rasas_sql_settings(tmp_path):
    config = tracker_store_config("postgresql://postgres@127.0.0.1:5432/test", tmp_path)
    assert config is not None
    assert (config["dialect"], config["url"], config["port"], config["db"]) == ("postgresql", "127.0.0.1", 5432, "test")


@pytest.mark.parametrize("garbage", ["", "redis://localhost", "mongo"])
def test_tracker_store_garbage_is_refused_naming_the_choices(garbage, tmp_path):
    with pytest.raises(ValueError, match="sqlite, memory or a postgresql"):
        tracker_store_config(garbage, tmp_path)


def test_tenantline_servers_get_the_shipped_process_settings_unless_the_run_leaves_them_out():
    from bench.sms_channel import WITHOUT_ENV, switched_off
    from bot.settings import SERVER_ENVIRONMENT

    shipped = changes_environment({"PATH": "/usr/bin"}, set())
    assert SERVER_ENVIRONMENT.items() <= shipped.items() and shipped["PATH"] == "/usr/bin"
    assert switched_off(shipped[WITHOUT_ENV]) == set()

    # Started from a shell that already has the settings, the "without" run must still run Rasa as it comes.
    bare = changes_environment({"PATH": "/usr/bin", **SERVER_ENVIRONMENT}, {"process-settings", "nlu-off-loop"})
    assert not set(SERVER_ENVIRONMENT) & set(bare)
    assert switched_off(bare[WITHOUT_ENV]) == {"process-settings", "nlu-off-loop"}
