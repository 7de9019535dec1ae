"""migrate --adapt-source/--adapt-target: the adapted gallery against the direct formula, its provenance, errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from facebridge.embeddings import EmbeddingSet, read_embeddings, write_parquet
from facebridge.embeddings.io import META_KEY
from facebridge.maps import load_map
from facebridge.maps.adapt import DeploymentAlign
from tests.cli.test_cli_upgrade import run, sets  # noqa: F401  (the fixture)


def _shifted(path: Path, out: Path, scale: float, shift: float) -> Path:
    es = read_embeddings(path)
    write_parquet(EmbeddingSet(es.ids, es.vectors * scale + shift, es.fingerprint), out)
    return out


def test_adapted_migration_equals_the_formula_and_records_its_inputs(sets, capsys) -> None:  # noqa: F811
    gallery = _shifted(sets["a"], sets["dir"] / "g.parquet", 0.7, 0.3)  # the deployment's camera, model A
    probes = _shifted(sets["b"], sets["dir"] / "p.parquet", 1.2, -0.2)  # ... and model B
    out = sets["dir"] / "migrated.parquet"
    code, stdout, _ = run(
        capsys, "migrate", "--map", sets["map"], "--gallery", gallery, "--out", out,
        "--adapt-source", gallery, "--adapt-target", probes, "--adapt-reference", sets["a"],
    )  # fmt: skip
    assert code == 0 and "adapted (coral)" in stdout
    g, p, ref = (read_embeddings(x).vectors.astype(np.float64) for x in (gallery, probes, sets["a"]))
    est = load_map(sets["map"]).estimator
    pre = DeploymentAlign().fit(g, ref)
    post = DeploymentAlign().fit(est.transform(pre.transform(g)), p)
    want = post.transform(est.transform(pre.transform(g)))
    np.testing.assert_allclose(read_embeddings(out).vectors, want, rtol=1e-4, atol=1e-4)
    header = json.loads(pq.read_schema(out).metadata[META_KEY])["adaptation"]
    assert header["source"]["sha256"] == hashlib.sha256(gallery.read_bytes()).hexdigest()
    assert header["target"]["sha256"] == hashlib.sha256(probes.read_bytes()).hexdigest()
    assert header["source"]["n"] == len(g) and header["target"]["n"] == len(p)
    assert header["after_map"]["sha256"] == post.statistics()["sha256"]
    assert header["before_map"]["n_reference"] == len(ref)


def test_adaptation_errors_are_one_line(sets, capsys) -> None:  # noqa: F811
    out = sets["dir"] / "m.parquet"
    code, _, err = run(capsys, "migrate", "--map", sets["map"], "--gallery", sets["a"], "--out", out,
                       "--adapt-source", sets["a"])  # fmt: skip
    assert code == 2 and "--adapt-target" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "migrate", "--map", sets["map"], "--gallery", sets["a"], "--out", out,
                       "--adapt-source", sets["b"], "--adapt-target", sets["b"])  # fmt: skip
    assert code == 2 and "model-b templates, the map reads model-a" in err
    assert not out.exists()
