from pathlib import Path

import pytest

from rag.settings import SettingsError, load_settings


def test_defaults(home: Path) -> None:
    s = load_settings()
    assert s.home == home
    assert s.store_dir == home / "stores" / "default"
    assert s.models_dir == home / "models"
    assert s.retrieval.k == 5


def test_precedence_defaults_file_env_flags(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[retrieval]\nk = 7\ncandidates = 30\n[chunk]\ntarget_chars = 300\n', encoding="utf-8")
    s = load_settings(cfg)
    assert (s.retrieval.k, s.retrieval.candidates, s.chunk.target_chars) == (7, 30, 300)

    monkeypatch.setenv("RAG_RETRIEVAL__K", "9")
    s = load_settings(cfg)
    assert (s.retrieval.k, s.retrieval.candidates) == (9, 30)  # env beats file, file beats default

    s = load_settings(cfg, overrides={"retrieval": {"k": 3}})
    assert s.retrieval.k == 3  # flag beats env


def test_home_config_file_is_read(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text('[generation]\nmax_tokens = 99\n', encoding="utf-8")
    assert load_settings().generation.max_tokens == 99


def test_rag_home_moves_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "elsewhere"))
    s = load_settings()
    assert s.store_dir.is_relative_to(tmp_path / "elsewhere")
    assert s.models_dir.is_relative_to(tmp_path / "elsewhere")


@pytest.mark.parametrize("env,fragment", [
    ({"RAG_RETRIEVAL__K": "zero"}, "retrieval.k"),
    ({"RAG_NOPE__K": "1"}, "unknown section 'nope'"),
    ({"RAG_RETRIEVAL__WHAT": "1"}, "retrieval.what"),
])
def test_bad_env_values_name_the_value(home: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                       fragment: str) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError, match=fragment.replace(".", r"\.")):
        load_settings()


def test_bad_toml_names_the_file(home: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[retrieval\nk=1", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"bad\.toml"):
        load_settings(cfg)


def test_identity_changes_with_chunking_not_with_k(home: Path) -> None:
    a = load_settings()
    b = load_settings(overrides={"retrieval": {"k": 9}})
    c = load_settings(overrides={"chunk": {"target_chars": 200}})
    ident = lambda s: s.index_identity("m", "1", "1")  # noqa: E731
    assert ident(a) == ident(b)
    assert ident(a) != ident(c)
