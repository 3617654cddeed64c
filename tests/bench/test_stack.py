import pytest

from bench.stack import tracker_store_config


def test_tracker_store_sqlite_is_a_file_in_the_run_folder(tmp_path):
    assert tracker_store_config("sqlite", tmp_path) == {
        "type": "SQL",
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
