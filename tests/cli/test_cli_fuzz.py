"""Fuzz every numeric option of the CLI: whatever the value (negative, huge, NaN, inf, text), the command exits 0 or 2
and prints no traceback. Each command runs on tiny synthetic files, so a value that is accepted runs for real."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facebridge.cli.main import main
from facebridge.embeddings import EmbeddingSet, Fingerprint, write_parquet
from tests.helpers import address_space_cap


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three 8-d models of 12 people x 3 images, a pairs CSV without folds, a fitted map a -> b, an empty folder."""
    root = tmp_path_factory.mktemp("fuzz")
    rng = np.random.default_rng(0)
    ids = np.array([f"P{p:02d}/P{p:02d}_{i:04d}.jpg" for p in range(12) for i in range(3)], dtype=object)
    centres = rng.normal(size=(12, 8)).repeat(3, axis=0)
    store = root / "store"
    store.mkdir()
    for name in ("a", "b", "c"):
        vectors = centres @ rng.normal(size=(8, 8)) + 0.3 * rng.normal(size=(36, 8))
        write_parquet(EmbeddingSet(ids, vectors, Fingerprint(model=name)), store / f"{name}.parquet")
    lines = ["path1,path2,same"]
    for p in range(12):
        lines += [f"{ids[3 * p]},{ids[3 * p + 1]},1", f"{ids[3 * p]},{ids[3 * ((p + 1) % 12) + 2]},0"]
    (root / "pairs.csv").write_text("\n".join(lines) + "\n")
    (root / "empty").mkdir()
    files = {"root": root, "a": store / "a.parquet", "b": store / "b.parquet", "store": store,
             "pairs": root / "pairs.csv", "empty": root / "empty", "map": root / "a2b.fbmap"}  # fmt: skip
    assert main(["fit", "--source", str(files["a"]), "--target", str(files["b"]), "--out", str(files["map"])]) == 0
    return files


@pytest.fixture(scope="module", autouse=True)
def _memory_cap() -> Iterator[None]:
    """A value that makes a command allocate gigabytes fails here as a MemoryError, not by swapping the machine."""
    with address_space_cap():
        yield


#: Command line templates, ``{v}`` the fuzzed value; every command with a numeric option, every such option.
TEMPLATES = (
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --alpha {v}",
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --method rrr --rank {v}",
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --method ridge --param alpha={v}",
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --method affine_cv --param n_splits={v}",
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --method affine_cv --param alphas=[{v}]",
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --method mlp --param max_iter=3 --param hidden={v}",
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --method mlp --param max_iter={v} --param hidden=2",
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --method mlp --param max_iter=3 --param alpha={v}",
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --method mlp --param max_iter=3 "
    "--param random_state={v}",
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --method kernel --param n_landmarks={v}",
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --method kernel --param gamma={v}",
    "fit --source {a} --target {b} --out {root}/f.fbmap --force --method kernel --param random_state={v}",
    "transform --map {map} --input {a} --out {root}/t.parquet --force --batch-rows {v}",
    "migrate --map {map} --gallery {a} --out {root}/m.parquet --force --batch-rows {v}",
    "search --gallery {b} --probes {b} --out {root}/s.parquet --force --k {v}",
    "evaluate --protocol pairs --pairs {pairs} --target {b} --folds {v}",
    "evaluate --protocol pairs --pairs {pairs} --target {b} --seed {v}",
    "evaluate --protocol pairs --pairs {pairs} --target {b} --source {a} --mode cross --fit ridge --alpha {v}",
    "evaluate --protocol pairs --pairs {pairs} --target {b} --source {a} --mode cross --fit rrr --rank {v}",
    "upgrade --store {store} --models a,b --out {root}/up --method ridge --folds {v}",
    "upgrade --store {store} --models a,b --out {root}/up --method ridge --seed {v}",
    "audit --store {store} --models a,b --out {root}/au --budgets 0,10 --seeds 1 --heatmap-k 10 --alpha {v}",
    "audit --store {store} --models a,b --out {root}/au --budgets 0,10 --seeds 1 --heatmap-k 10 "
    "--evaluated-fraction {v}",
    "audit --store {store} --models a,b --out {root}/au --budgets 0,10 --seeds 1 --heatmap-k {v}",
    "audit --store {store} --models a,b --out {root}/au --budgets 0,{v} --seeds 1 --heatmap-k 0",
    "audit --leaked {a} --reference {a} --out {root}/au --seeds {v}",
    "audit --leaked {a} --reference {a} --out {root}/au --defence-budgets {v}",
    "embed --images {empty} --out {root}/e --model edgeface-xxs --min-face {v}",
    "embed --images {empty} --out {root}/e --model edgeface-xxs --chunk-size {v}",
    "embed --images {empty} --out {root}/e --model edgeface-xxs --limit {v}",
    "embed --images {empty} --out {root}/e --model edgeface-xxs --workers {v}",
    "reproduce --data {empty} --store {empty}/s --out {root}/r --model edgeface-xxs --seed {v}",
    "reproduce --data {empty} --store {empty}/s --out {root}/r --model edgeface-xxs --workers {v}",
    "models add x --onnx {root}/none.onnx --alignment arc112 --colour rgb --mean {v} --std 1",
    "models add x --onnx {root}/none.onnx --alignment arc112 --colour rgb --mean 0 --std {v}",
    "models add x --onnx {root}/none.onnx --alignment arc112 --colour rgb --mean 0 --std 1 --dim {v}",
)

VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from([-1, 0, 1, 2, 3, 2**31, 2**32 - 1, 2**32, 2**63, -(2**63) - 1, 10**8, 10**400]).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-0", "0.5", "1e-300", "", " ", "abc", "0x10", "1_0", "[]"]),
    st.text(max_size=8),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(template=st.sampled_from(TEMPLATES), value=VALUES)
def test_numeric_options_exit_0_or_2_without_a_traceback(files, capsys, template: str, value: str) -> None:
    args = [part.format(v=value, **files) if "{" in part else part for part in template.split()]
    try:
        code = main(args)
    except Exception:  # what the user would have seen as a traceback
        pytest.fail(f"{args}: traceback\n{traceback.format_exc()}")
    out, err = capsys.readouterr()
    assert code in (0, 2), (args, code, err)
    assert "Traceback" not in out + err, (args, err)
