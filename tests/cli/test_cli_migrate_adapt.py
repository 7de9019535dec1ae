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
        "--adapt-source", gallery, "--adapt-reference", sets["a"],
        "--adapt-target", probes, "--adapt-reference-target", sets["b"],
    )  # fmt: skip
    assert code == 0 and "adapted (coral)" in stdout
    g, p, ref, ref_b = (read_embeddings(x).vectors.astype(np.float64) for x in (gallery, probes, sets["a"], sets["b"]))
    est = load_map(sets["map"]).estimator
    pre = DeploymentAlign().fit(g, ref)
    post = DeploymentAlign(normalize=True).fit(ref_b, p)  # training targets onto the deployment's B templates
    want = post.transform(est.transform(pre.transform(g)))
    np.testing.assert_allclose(read_embeddings(out).vectors, want, rtol=1e-4, atol=1e-4)
    header = json.loads(pq.read_schema(out).metadata[META_KEY])["adaptation"]
    assert header["source"]["sha256"] == hashlib.sha256(gallery.read_bytes()).hexdigest()
    assert header["target"]["sha256"] == hashlib.sha256(probes.read_bytes()).hexdigest()
    assert header["reference_target"]["sha256"] == hashlib.sha256(sets["b"].read_bytes()).hexdigest()
    assert header["source"]["n"] == len(g) and header["target"]["n"] == len(p)
    assert header["after_map"]["sha256"] == post.statistics()["sha256"] and header["after_map"]["normalize"]
    assert header["before_map"]["n_reference"] == len(ref) and not header["before_map"]["normalize"]


def test_after_map_only_with_the_training_targets_as_deployment_is_plain_migration(sets, capsys) -> None:  # noqa: F811
    """The deployment's B templates are the map's own training targets: the after-map move is the identity, so the
    adapted gallery points where the plain one does (the old after-map move, mapped gallery onto B, did not)."""
    plain, adapted = sets["dir"] / "plain.parquet", sets["dir"] / "after.parquet"
    assert run(capsys, "migrate", "--map", sets["map"], "--gallery", sets["a"], "--out", plain)[0] == 0
    code, _, _ = run(capsys, "migrate", "--map", sets["map"], "--gallery", sets["a"], "--out", adapted,
                     "--adapt-target", sets["b"], "--adapt-reference-target", sets["b"])  # fmt: skip
    assert code == 0
    x, y = read_embeddings(plain).vectors, read_embeddings(adapted).vectors
    cos = np.einsum("ij,ij->i", x, y) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    np.testing.assert_allclose(cos, 1.0, atol=1e-5)
    header = json.loads(pq.read_schema(adapted).metadata[META_KEY])["adaptation"]
    assert "before_map" not in header and header["after_map"]["n_deploy"] == header["after_map"]["n_reference"]


def test_adaptation_errors_are_one_line(sets, capsys) -> None:  # noqa: F811
    out = sets["dir"] / "m.parquet"
    code, _, err = run(capsys, "migrate", "--map", sets["map"], "--gallery", sets["a"], "--out", out,
                       "--adapt-source", sets["a"])  # fmt: skip
    assert code == 2 and "--adapt-reference" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "migrate", "--map", sets["map"], "--gallery", sets["a"], "--out", out,
                       "--adapt-source", sets["b"], "--adapt-reference", sets["a"])  # fmt: skip
    assert code == 2 and "model-b templates, the map's inputs are model-a" in err
    code, _, err = run(capsys, "migrate", "--map", sets["map"], "--gallery", sets["a"], "--out", out,
                       "--adapt-target", sets["a"], "--adapt-reference-target", sets["b"])  # fmt: skip
    assert code == 2 and "model-a templates, the map's outputs are model-b" in err
    assert not out.exists()
