"""Weights: models-dir resolution order, sha256 verification, its per-(path, size, mtime) cache, package sources."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from facebridge import paths as paths_module
from facebridge.errors import IntegrityError, MissingDependencyError, MissingFileError
from facebridge.models import parse_spec, resolve_models_dir, verify_weights, weights_status
from facebridge.models.weights import file_sha256

CONTENT = b"pretend these are weights"
SHA = hashlib.sha256(CONTENT).hexdigest()


def toy_spec(sha: str = SHA, path: str = "toy/toy.onnx", **file_keys: str):
    return parse_spec(
        {
            "name": "toy",
            "runtime": "onnxruntime",
            "files": [{"path": path, "sha256": sha, **file_keys}],
            "input_size": [112, 112],
            "alignment": "arc112",
            "colour_order": "RGB",
            "layout": "NCHW",
            "dim": 8,
            "preprocessing_version": "1",
        }
    )


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "toy.onnx").write_bytes(CONTENT)
    return tmp_path


def test_verify_ok_and_fingerprint(models_dir: Path) -> None:
    assert verify_weights(toy_spec(), models_dir) == {"toy/toy.onnx": models_dir / "toy" / "toy.onnx"}
    assert weights_status(toy_spec(), models_dir) == "ok"
    fp = toy_spec().fingerprint(models_dir)
    assert (fp.model, fp.weights_sha256, fp.alignment, fp.preprocessing) == ("toy", SHA, "arc112", "1")


def test_corrupted_copy_raises_integrity_error(models_dir: Path) -> None:
    (models_dir / "toy" / "toy.onnx").write_bytes(CONTENT[:-1] + b"!")
    actual = hashlib.sha256(CONTENT[:-1] + b"!").hexdigest()
    with pytest.raises(IntegrityError) as info:
        verify_weights(toy_spec(), models_dir)
    assert "toy.onnx" in str(info.value) and SHA in str(info.value) and actual in str(info.value)
    with pytest.raises(IntegrityError):
        toy_spec().fingerprint(models_dir)  # no fingerprint for unverified weights
    assert weights_status(toy_spec(), models_dir) == "sha256 mismatch"


def test_missing_file_names_hash_and_place(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError) as info:
        verify_weights(toy_spec(), tmp_path)
    message = str(info.value)
    assert "toy/toy.onnx" in message and SHA in message and str(tmp_path) in message and "--models-dir" in message
    assert weights_status(toy_spec(), tmp_path) == "missing"


def test_hash_cached_per_path_size_mtime(models_dir: Path) -> None:
    path = models_dir / "toy" / "toy.onnx"
    assert file_sha256(path) == SHA
    stat = path.stat()
    path.write_bytes(CONTENT.upper())  # same size ...
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # ... and mtime: the cached digest is reused
    assert file_sha256(path) == SHA
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched: hashed again
    assert file_sha256(path) == hashlib.sha256(CONTENT.upper()).hexdigest()


def test_package_source(tmp_path: Path) -> None:
    import json

    json_init = Path(json.__file__)
    spec = toy_spec(hashlib.sha256(json_init.read_bytes()).hexdigest(), "__init__.py", package="json")
    assert verify_weights(spec, tmp_path) == {"__init__.py": json_init}  # found in the package, not tmp_path
    missing = toy_spec(package="no_such_package_xyz", pip="no-such-dist")
    with pytest.raises(MissingDependencyError, match="pip install no-such-dist"):
        verify_weights(missing, tmp_path)
    assert weights_status(missing, tmp_path) == "package missing"


def test_models_dir_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit, env = tmp_path / "explicit", tmp_path / "env"
    project, shared = tmp_path / "project", tmp_path / "shared" / "models"
    for d in (explicit, env, project, shared):
        d.mkdir(parents=True)
    checkout = tmp_path / "elsewhere" / "facebridge"
    checkout.mkdir(parents=True)
    monkeypatch.setattr(paths_module, "_CHECKOUT", checkout)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(project)
    monkeypatch.setenv("FACEBRIDGE_MODELS", str(env))

    assert resolve_models_dir(explicit) == explicit
    assert resolve_models_dir(None) == env
    monkeypatch.delenv("FACEBRIDGE_MODELS")
    assert resolve_models_dir(None) == shared  # ../shared/models from the working directory
    monkeypatch.chdir(tmp_path)
    (checkout.parent / "shared" / "models").mkdir(parents=True)
    assert resolve_models_dir(None) == tmp_path / "cache" / "facebridge" / "models"  # not a checkout: no pyproject
    (checkout / "pyproject.toml").touch()
    assert resolve_models_dir(None) == checkout.parent / "shared" / "models"  # next to the source checkout
    monkeypatch.setattr(paths_module, "_CHECKOUT", tmp_path / "nowhere" / "facebridge")
    assert resolve_models_dir(None) == tmp_path / "cache" / "facebridge" / "models"


def test_explicit_or_env_dir_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingFileError, match=r"from --models-dir\) does not exist"):
        resolve_models_dir(tmp_path / "absent")
    monkeypatch.setenv("FACEBRIDGE_MODELS", str(tmp_path / "absent"))
    with pytest.raises(MissingFileError, match=r"from \$FACEBRIDGE_MODELS\) does not exist"):
        resolve_models_dir(None)
