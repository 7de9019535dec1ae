"""Parameters and files checked at the CLI boundary: a bad one is one line on stderr and exit code 2, before any
work (issue 24: header without an integer dim, negative seeds, a 47.7 GiB MLP, empty and repeated model lists)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from facebridge.cli.main import main
from facebridge.embeddings import EmbeddingSet, Fingerprint, write_parquet
from facebridge.embeddings.io import META_KEY
from tests.helpers import address_space_cap, one_line_error


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    ids = np.array([f"P{p:02d}/P{p:02d}_{i:04d}.jpg" for p in range(12) for i in range(3)], dtype=object)
    store = tmp_path / "store"
    store.mkdir()
    for name in ("a", "b"):
        write_parquet(EmbeddingSet(ids, rng.normal(size=(36, 8)), Fingerprint(model=name)), store / f"{name}.parquet")
    lines = ["path1,path2,same"] + [f"{ids[3 * p]},{ids[3 * p + 1]},1" for p in range(12)]
    lines += [f"{ids[3 * p]},{ids[3 * ((p + 1) % 12) + 2]},0" for p in range(12)]
    (tmp_path / "pairs.csv").write_text("\n".join(lines) + "\n")
    out = {"dir": tmp_path, "store": store, "a": store / "a.parquet", "b": store / "b.parquet",
           "pairs": tmp_path / "pairs.csv", "map": tmp_path / "a2b.fbmap"}  # fmt: skip
    assert main(["fit", "--source", str(out["a"]), "--target", str(out["b"]), "--out", str(out["map"])]) == 0
    return out



def usage_error(capsys, *args: object) -> str:
    """The parser's refusal (exit 2, no traceback), before the command runs."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "Invalid value" in err, err
    return err


def with_header(path: Path, out: Path, **changes: object) -> Path:
    """A copy of the Parquet set ``path`` whose facebridge header has ``changes`` (a value None: key removed)."""
    table = pq.read_table(path)
    header = json.loads(table.schema.metadata[META_KEY])
    for key, value in changes.items():
        if value is None:
            header.pop(key)
        else:
            header[key] = value
    pq.write_table(table.replace_schema_metadata({META_KEY: json.dumps(header).encode()}), out)
    return out


@pytest.mark.parametrize("dim", [None, "8", 8.0, True, 0, 9])
def test_a_header_without_an_integer_dim_is_refused_by_migrate_and_transform(files, capsys, dim) -> None:
    bad = with_header(files["a"], files["dir"] / "bad.parquet", dim=dim)
    for command in (["migrate", "--gallery"], ["transform", "--input"]):
        err = one_line_error(capsys, *command, bad, "--map", files["map"], "--out", files["dir"] / "o.parquet")
        assert "bad.parquet" in err and "dim" in err


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_seeds_outside_0_to_2_pow_32_are_refused_before_any_work(files, capsys, seed) -> None:
    usage_error(capsys, "evaluate", "--protocol", "pairs", "--pairs", files["pairs"], "--target", files["b"],
                "--seed", seed)  # fmt: skip
    usage_error(capsys, "upgrade", "--store", files["store"], "--models", "a,b", "--out", files["dir"] / "up",
                "--seed", seed)  # fmt: skip
    usage_error(capsys, "reproduce", "--seed", seed, "--store", files["dir"] / "none", "--out", files["dir"] / "r")
    assert not (files["dir"] / "up").exists() and not (files["dir"] / "r").exists()


def test_the_library_refuses_a_negative_seed_in_one_line() -> None:
    from facebridge.errors import InvalidInputError
    from facebridge.protocols.identification import identification_split

    with pytest.raises(InvalidInputError, match="seed"):
        identification_split([f"P{p}/{i}.jpg" for p in range(6) for i in range(2)], n_folds=2, seed=-1)


@pytest.mark.parametrize(
    ("param", "word"),
    [("hidden=100000000", "hidden"), ("max_iter=10000000000", "max_iter"), ("random_state=-3", "random_state"),
     ("random_state=4294967296", "random_state")],
)  # fmt: skip
def test_mlp_parameters_have_bounds(files, capsys, param, word) -> None:
    with address_space_cap():  # before the bound, hidden=100000000 asked for 47.7 GiB
        err = one_line_error(capsys, "fit", "--source", files["a"], "--target", files["b"], "--out",
                             files["dir"] / "m.fbmap", "--method", "mlp", "--param", param)  # fmt: skip
    assert f"parameter {word}" in err and not (files["dir"] / "m.fbmap").exists()


def test_kernel_seed_bounds(files, capsys) -> None:
    err = one_line_error(capsys, "fit", "--source", files["a"], "--target", files["b"], "--out",
                         files["dir"] / "m.fbmap", "--method", "kernel", "--param", f"random_state={2**32}")
    assert "random_state" in err


def test_audit_refuses_an_infinite_alpha_and_too_many_repetitions(files, capsys) -> None:
    err = one_line_error(capsys, "audit", "--store", files["store"], "--out", files["dir"] / "au", "--alpha", "inf")
    assert "alpha" in err and not (files["dir"] / "au").exists()
    usage_error(capsys, "audit", "--store", files["store"], "--out", files["dir"] / "au", "--seeds", "4294967295")


def test_empty_and_repeated_model_lists_are_refused(files, capsys) -> None:
    assert "more than once" in one_line_error(capsys, "upgrade", "--store", files["store"], "--models", "a,a",
                                              "--out", files["dir"] / "up")  # fmt: skip
    assert "names nothing" in one_line_error(capsys, "audit", "--store", files["store"], "--models", "",
                                             "--out", files["dir"] / "au")  # fmt: skip
    images = files["dir"] / "images"
    images.mkdir()
    assert "no model names" in one_line_error(capsys, "embed", "--images", images, "--out", files["dir"] / "e",
                                              "--model", "")  # fmt: skip
    assert "more than once" in one_line_error(capsys, "embed", "--images", images, "--out", files["dir"] / "e",
                                              "--model", "edgeface-xxs,edgeface-xxs")  # fmt: skip
    assert "no model names" in one_line_error(capsys, "native", "--store", files["store"], "--out",
                                              files["dir"] / "n.md", "--model", " ")  # fmt: skip


@pytest.mark.parametrize(("option", "value"), [("--std", "0"), ("--std", "nan"), ("--mean", "inf"), ("--mean", "1e30")])
def test_models_add_refuses_non_finite_or_zero_normalisation_before_reading_the_graph(files, capsys, option, value):
    values = {"--mean": "127.5", "--std": "128", option: value}
    err = one_line_error(capsys, "models", "add", "mine", "--onnx", files["dir"] / "none.onnx", "--alignment", "arc112",
                         "--colour", "rgb", "--mean", values["--mean"], "--std", values["--std"])  # fmt: skip
    assert option in err and "finite" in err


@pytest.mark.parametrize(("method", "param"), [("ridge", "alpha"), ("kernel", "gamma"), ("affine_cv", "alphas")])
def test_integers_beyond_64_bits_or_float_range_are_one_line_errors(files, capsys, method, param) -> None:
    for huge in (-(2**63) - 1, 10**400):
        value = f"[{huge}]" if param == "alphas" else str(huge)
        err = one_line_error(capsys, "fit", "--source", files["a"], "--target", files["b"], "--out",
                             files["dir"] / "m.fbmap", "--method", method, "--param", f"{param}={value}")  # fmt: skip
        assert f"parameter {param}" in err


def test_workers_beyond_four_per_cpu_are_refused(files, capsys) -> None:
    too_many = str(4 * (os.cpu_count() or 1) + 1)
    images = files["dir"] / "images"
    images.mkdir()
    assert "--workers" in one_line_error(capsys, "embed", "--images", images, "--out", files["dir"] / "e", "--model",
                                         "edgeface-xxs", "--workers", too_many)  # fmt: skip
    assert "--workers" in one_line_error(capsys, "reproduce", "--workers", too_many, "--store", files["dir"] / "none",
                                         "--out", files["dir"] / "r")  # fmt: skip
