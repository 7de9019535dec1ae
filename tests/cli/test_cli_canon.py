"""``facebridge canon`` end to end on a toy store: fit, join, route through transform, mixed-gallery search, and
one-line refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from facebridge.cli.main import main
from facebridge.embeddings import EmbeddingSet, Fingerprint, read_embeddings, write_parquet
from facebridge.maps.canonical import load_space

MODELS = ("m0", "m1", "m2", "m3")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four models of 40 people x 4 images: each a random linear image (own width) of one 8-d identity space."""
    root = tmp_path_factory.mktemp("store")
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((40, 8))
    latent = np.repeat(centres, 4, axis=0) + 0.3 * rng.standard_normal((160, 8))
    ids = np.array([f"P{p:02d}/P{p:02d}_{i + 1:04d}.jpg" for p in range(40) for i in range(4)], dtype=object)
    for j, m in enumerate(MODELS):
        x = latent @ rng.standard_normal((8, 10 + 2 * j)) + 0.01 * rng.standard_normal((160, 10 + 2 * j))
        write_parquet(EmbeddingSet(ids, x.astype(np.float32), Fingerprint(m, weights_sha256=f"{j}" * 64)),
                      root / f"{m}.parquet")
    return root


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fit_join_route_and_search_a_mixed_gallery(store: Path, tmp_path: Path, capsys) -> None:
    space = tmp_path / "s.fbcanon"
    code, out, err = run(capsys, "canon", "fit", "--store", store, "--models", "m0,m1,m2", "--dim", 8,
                         "--out", space)
    assert code == 0, err
    assert "maxvar canonical space (8-d) of m0, m1, m2 on 160 images of 40 people" in out
    joined = tmp_path / "j.fbcanon"
    code, out, err = run(capsys, "canon", "join", "--space", space, "--source", store / "m3.parquet",
                         "--via", store / "m1.parquet", "--out", joined)
    assert code == 0, err
    before, after = load_space(space), load_space(joined)
    for m in ("m0", "m1", "m2"):
        assert np.array_equal(before.space.enc_coef_[m], after.space.enc_coef_[m])
        assert np.array_equal(before.space.dec_coef_[m], after.space.dec_coef_[m])
    assert after.space.via_["m3"] == "m1"

    # a route is an ordinary map file: the existing transform applies it, as the space would
    route = tmp_path / "r.fbmap"
    assert run(capsys, "canon", "route", "--space", joined, "--source", "m3", "--target", "m0", "--out", route)[0] == 0
    mapped = tmp_path / "t.parquet"
    code, _, err = run(capsys, "transform", "--map", route, "--input", store / "m3.parquet", "--out", mapped)
    assert code == 0, err
    m3 = read_embeddings(store / "m3.parquet")
    expected = after.space.decode(after.space.encode(m3.vectors, "m3"), "m0")
    got = read_embeddings(mapped)
    assert got.fingerprint.model == "m0"
    np.testing.assert_allclose(got.vectors, expected, rtol=1e-4, atol=1e-5)

    # mixed gallery: first image of each person, even people enrolled by m0, odd by m3; probes by m2
    gallery_files = []
    for m, parity in (("m0", 0), ("m3", 1)):
        es = read_embeddings(store / f"{m}.parquet")
        rows = np.array([i for i in range(0, es.n, 4) if (i // 4) % 2 == parity])
        path = tmp_path / f"g_{m}.parquet"
        write_parquet(es.take(rows), path)
        gallery_files += ["--gallery", path]
    probes = read_embeddings(store / "m2.parquet")
    write_parquet(probes.take(np.arange(1, probes.n, 4)), tmp_path / "p.parquet")
    hits_path = tmp_path / "hits.parquet"
    code, out, err = run(capsys, "canon", "search", "--space", joined, *gallery_files, "--probes",
                         tmp_path / "p.parquet", "--k", 1, "--out", hits_path)
    assert code == 0, err
    hits = pq.read_table(hits_path).to_pydict()
    person = [p.split("/")[0] for p in hits["probe_id"]]
    found = [g.split("/")[0] for g in hits["gallery_id"]]
    mixed = np.mean([a == b for a, b in zip(person, found, strict=True)])
    # against m2 searching its own templates natively (0.875 on this toy)
    unit = probes.vectors / np.linalg.norm(probes.vectors, axis=1, keepdims=True)
    native = np.mean(np.argmax(unit[1::4] @ unit[::4].T, axis=1) == np.arange(40))
    assert mixed >= native - 0.05, (mixed, native)
    assert set(hits["gallery_model"]) == {"m0", "m3"}


def test_a_tampered_space_is_one_line_and_exit_2(store: Path, tmp_path: Path, capsys) -> None:
    space = tmp_path / "s.fbcanon"
    assert run(capsys, "canon", "fit", "--store", store, "--models", "m0,m1", "--dim", 4, "--out", space)[0] == 0
    data = space.read_bytes()
    assert data.count(b'\\"n_iter\\": 0') == 1
    space.write_bytes(data.replace(b'\\"n_iter\\": 0', b'\\"n_iter\\": 7'))
    code, _, err = run(capsys, "canon", "route", "--space", space, "--source", "m0", "--out", tmp_path / "r.fbmap")
    assert code == 2 and err.count("\n") == 1 and "sha256" in err, err
    assert not (tmp_path / "r.fbmap").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("canon", "fit", "--models", "m0", "--out", "x.fbcanon"), "2 or more distinct models"),
        (("canon", "fit", "--models", "m0,zz", "--out", "x.fbcanon"), "has no zz.parquet"),
        (("canon", "fit", "--models", "m0,m1", "--dim", 99, "--out", "x.fbcanon"), "dim must be an integer in"),
    ],
)
def test_bad_fit_options_are_one_line_errors(store: Path, tmp_path: Path, capsys, args, message) -> None:
    args = tuple(tmp_path / a if str(a).endswith(".fbcanon") else a for a in args)
    code, _, err = run(capsys, *args[:2], "--store", store, *args[2:])
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_joining_a_member_again_or_through_a_stranger_is_refused(store: Path, tmp_path: Path, capsys) -> None:
    space = tmp_path / "s.fbcanon"
    assert run(capsys, "canon", "fit", "--store", store, "--models", "m0,m1", "--dim", 4, "--out", space)[0] == 0
    code, _, err = run(capsys, "canon", "join", "--space", space, "--source", store / "m1.parquet",
                       "--via", store / "m0.parquet", "--out", tmp_path / "j.fbcanon")
    assert code == 2 and "already a member" in err
    code, _, err = run(capsys, "canon", "join", "--space", space, "--source", store / "m3.parquet",
                       "--via", store / "m2.parquet", "--out", tmp_path / "j.fbcanon")
    assert code == 2 and "not in this canonical space" in err


def test_the_readme_workflow_runs_as_written(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """The three commands of the guide's canonical page, read from it, on toy sets under the names it uses."""
    import re
    import shlex

    text = (Path(__file__).resolve().parents[2] / "docs" / "guide" / "canonical.md").read_text(encoding="utf-8")
    section = text[text.index("# One space for many models") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    commands = [shlex.split(line)[1:] for line in block.group(1).splitlines() if line.startswith("facebridge ")]
    assert [c[:2] for c in commands] == [["canon", "fit"], ["canon", "join"], ["canon", "search"]]
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((40, 8))
    latent = np.repeat(centres, 4, axis=0) + 0.3 * rng.standard_normal((160, 8))
    ids = np.array([f"P{p:02d}/P{p:02d}_{i + 1:04d}.jpg" for p in range(40) for i in range(4)], dtype=object)
    store = tmp_path / "store" / "lfw-yunet"
    store.mkdir(parents=True)
    sets = {}
    for m in ("dlib-resnet29", "edgeface-xs", "mobilefacenet-caffe", "openvino-reid-0095"):
        x = latent @ rng.standard_normal((8, 64)) + 0.05 * rng.standard_normal((160, 64))
        sets[m] = EmbeddingSet(ids, x.astype(np.float32), Fingerprint(m))
        write_parquet(sets[m], store / f"{m}.parquet")
    write_parquet(sets["dlib-resnet29"].take(np.arange(0, 80, 4)), tmp_path / "old_dlib_gallery.parquet")
    write_parquet(sets["openvino-reid-0095"].take(np.arange(80, 160, 4)), tmp_path / "new_openvino_gallery.parquet")
    write_parquet(sets["mobilefacenet-caffe"].take(np.arange(1, 160, 4)), tmp_path / "caffe_probes.parquet")
    monkeypatch.chdir(tmp_path)
    for command in commands:
        code, _, err = run(capsys, *command)
        assert code == 0, (command, err)
    hits = pq.read_table(tmp_path / "hits.parquet").to_pydict()
    assert set(hits["gallery_model"]) == {"dlib-resnet29", "openvino-reid-0095"}
