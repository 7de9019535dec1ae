"""``--scheduler`` on fit, transform and migrate: the same files as one process, one-line errors, and no Dask at all
without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

pytest.importorskip("distributed")

from facebridge.cli.main import main
from facebridge.embeddings import read_embeddings
from facebridge.embeddings.io import META_KEY
from facebridge.maps import load_map

SRC = Path(__file__).resolve().parents[2] / "src"


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def header(path: Path) -> dict:
    return json.loads(pq.read_schema(path).metadata[META_KEY])


def test_fit_on_the_cluster_writes_the_map_one_process_writes(client, sets, tmp_path, capsys) -> None:
    args = ["fit", "--source", sets["a"], "--target", sets["b"], "--method", "affine"]
    code, _, err = run(capsys, *args, "--out", tmp_path / "here.fbmap")
    assert code == 0, err
    code, out, err = run(capsys, *args, "--out", tmp_path / "there.fbmap", "--scheduler", client.scheduler.address)
    assert code == 0, err
    assert "Dask dashboard: http" in err and "fitted affine (alpha chosen in fit:" in out
    here, there = load_map(tmp_path / "here.fbmap"), load_map(tmp_path / "there.fbmap")
    assert there.provenance == here.provenance and there.estimator.alpha_ == here.estimator.alpha_
    for name, value in here.estimator.fitted_arrays().items():
        np.testing.assert_allclose(there.estimator.fitted_arrays()[name], value, rtol=1e-6, atol=1e-6)


def test_transform_and_migrate_on_the_cluster_write_the_same_files(client, sets, tmp_path, capsys, monkeypatch) -> None:
    # transform on a LocalCluster of its own; migrate on the fixture's, named by the option's environment variable
    for command, option, scheduler in (("transform", "--input", "local:1"), ("migrate", "--gallery", None)):
        args = [command, "--map", sets["map"], option, sets["a"], "--batch-rows", 300]
        assert run(capsys, *args, "--out", tmp_path / f"{command}-here.parquet")[0] == 0
        monkeypatch.setenv("FACEBRIDGE_SCHEDULER", client.scheduler.address)
        there = ["--scheduler", scheduler] if scheduler else []
        code, _, err = run(capsys, *args, "--out", tmp_path / f"{command}-there.parquet", *there)
        monkeypatch.delenv("FACEBRIDGE_SCHEDULER")
        assert code == 0 and "Dask dashboard" in err, err
        here, there = tmp_path / f"{command}-here.parquet", tmp_path / f"{command}-there.parquet"
        assert header(there) == header(here)
        assert read_embeddings(there).ids.tolist() == read_embeddings(here).ids.tolist()
        np.testing.assert_allclose(read_embeddings(there).vectors, read_embeddings(here).vectors, rtol=1e-6)


def test_an_unreachable_scheduler_is_one_line_and_exit_2(sets, tmp_path, capsys) -> None:
    code, _, err = run(capsys, "migrate", "--map", sets["map"], "--gallery", sets["a"], "--out", tmp_path / "g.parquet",
                       "--scheduler", "tcp://127.0.0.1:9")  # fmt: skip
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]
    assert err.startswith("facebridge: error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 5 s")
    assert not (tmp_path / "g.parquet").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--method", "kernel"], "kernel is fitted from the rows themselves"),
        (["--view", "whitened"], "--view is fitted on the target's rows in one process"),
        (["--scheduler", "local:0"], "expected local or local:N with N >= 1 workers"),
    ],
)
def test_what_a_cluster_cannot_fit_is_refused_in_one_line(client, sets, tmp_path, capsys, extra, message) -> None:
    code, _, err = run(capsys, "fit", "--source", sets["a"], "--target", sets["b"], "--out", tmp_path / "m.fbmap",
                       "--scheduler", client.scheduler.address, *extra)  # fmt: skip
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_without_scheduler_nothing_of_dask_is_imported(sets, tmp_path) -> None:
    code = f"""
import sys
from facebridge.cli.main import main
assert main(['fit', '--source', {str(sets['a'])!r}, '--target', {str(sets['b'])!r}, '--method', 'ridge',
             '--out', {str(tmp_path / 'm.fbmap')!r}]) == 0
assert main(['migrate', '--map', {str(sets['map'])!r}, '--gallery', {str(sets['a'])!r},
             '--out', {str(tmp_path / 'g.parquet')!r}]) == 0
print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed') or m == 'facebridge.cluster'))
"""
    env = {k: v for k, v in os.environ.items() if k != "FACEBRIDGE_SCHEDULER"} | {"PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_reproduce_sends_its_embedding_tasks_to_the_scheduler(client, monkeypatch, tmp_path, capsys) -> None:
    """``reproduce --scheduler``: the inputs carry the cluster's executor (``embed_folder`` runs its tasks there, with
    absolute paths, as ``test_cluster_embed`` checks) and the worker count."""
    from facebridge.errors import InvalidInputError
    from facebridge.experiments import reproduce as reproduce_module

    seen = {}

    def stop(inputs, **kwargs):
        seen["inputs"] = inputs
        raise InvalidInputError("stopped by the test")

    monkeypatch.setattr(reproduce_module, "reproduce", stop)
    code = main(["reproduce", "--out", str(tmp_path / "r"), "--store", "store-rel", "--scheduler",
                 client.scheduler.address])  # fmt: skip
    assert code == 2 and "stopped by the test" in capsys.readouterr().err
    inputs = seen["inputs"]
    assert inputs.executor is not None and inputs.workers == 2
    main(["reproduce", "--out", str(tmp_path / "r")])
    assert seen["inputs"].executor is None  # without --scheduler: local processes, as before
