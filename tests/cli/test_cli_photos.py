"""A new user's own photo folder without Python: ``pairs`` (people-disjoint folds, written in the CSV), the cost of a
pairs file without folds, and ``identify`` (rank-1/rank-5 and DIR@FPIR with counts, one enrolled photo a person)."""

from __future__ import annotations

import json
from math import comb
from pathlib import Path

import numpy as np
import pytest

from facebridge.cli.main import main
from facebridge.embeddings import EmbeddingSet, write_parquet
from facebridge.experiments.upgrade.identify import identify_set
from facebridge.protocols import parse_pairs_csv, person_of
from facebridge.protocols.fold_rules import fold_sharing
from facebridge.protocols.identification import identification_split
from facebridge.protocols.identification_metrics import identify
from facebridge.protocols.photo_pairs import photo_pairs
from facebridge.vectors import cosine_matrix
from tests.helpers import synthetic_study

#: photos per person: a mix of one-photo people and people with many photos
SHOTS = (1, 2, 3, 4, 5, 6, 2, 3, 1, 4, 5, 3, 2, 2)


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, " ".join(captured.out.split()), captured.err


def photo_folder(root: Path) -> Path:
    """Empty files named like photos (pairs reads names only), plus one photo outside any person folder."""
    for p, n in enumerate(SHOTS):
        (root / "photos" / f"Person{p:02d}").mkdir(parents=True)
        for i in range(n):
            (root / "photos" / f"Person{p:02d}" / f"{i}.jpg").touch()
    (root / "photos" / "loose.jpg").touch()
    return root / "photos"


def test_pairs_writes_people_disjoint_folds_seeded(tmp_path: Path, capsys) -> None:
    photos = photo_folder(tmp_path)
    code, out, err = run(capsys, "pairs", "--images", photos, "--out", tmp_path / "pairs.csv", "--folds", 4,
                         "--seed", 3)  # fmt: skip
    assert code == 0, err
    pairs = parse_pairs_csv(tmp_path / "pairs.csv")  # the fold column is read back, not assigned
    genuine = sum(comb(n, 2) for n in SHOTS)
    assert int(pairs.same.sum()) == genuine and f"{genuine} same-person" in out and "4 people-disjoint folds" in out
    assert not any(n.startswith("folds:") for n in pairs.notes)
    people_a = np.array([person_of(i) for i in pairs.id_a])
    people_b = np.array([person_of(i) for i in pairs.id_b])
    assert fold_sharing(people_a, people_b, pairs.fold) == (0, 0)
    assert (people_a[pairs.same] == people_b[pairs.same]).all()
    assert (people_a[~pairs.same] != people_b[~pairs.same]).all()
    keys = {frozenset(k) for k in zip(pairs.id_a, pairs.id_b, strict=True)}
    assert len(keys) == pairs.n and sorted(pairs.fold_ids) == [0, 1, 2, 3]
    for k in pairs.fold_ids:  # as many impostors as genuine pairs in each fold, where the fold's people allow it
        in_fold = pairs.fold == k
        assert (~pairs.same[in_fold]).sum() <= pairs.same[in_fold].sum()
    assert "1 photos outside a person folder left out" in out
    # seeded and deterministic: the same seed writes the same bytes, another seed other folds
    assert run(capsys, "pairs", "--images", photos, "--out", tmp_path / "again.csv", "--folds", 4, "--seed", 3)[0] == 0
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "pairs.csv").read_bytes()
    assert run(capsys, "pairs", "--images", photos, "--out", tmp_path / "other.csv", "--folds", 4, "--seed", 4)[0] == 0
    assert (tmp_path / "other.csv").read_bytes() != (tmp_path / "pairs.csv").read_bytes()
    code, _, err = run(capsys, "pairs", "--images", photos, "--out", tmp_path / "pairs.csv")
    assert code == 2 and "exists; pass --force" in err
    code, _, err = run(capsys, "pairs", "--images", photos, "--out", tmp_path / "x.csv", "--folds", 20)
    assert code == 2 and "14 people, too few for 20 people-disjoint folds" in err and err.count("\n") == 1


def test_two_impostors_per_genuine_and_the_shortfall_is_said() -> None:
    ids = [f"P{p}/{i}.jpg" for p, n in enumerate(SHOTS) for i in range(n)]
    one, two = photo_pairs(ids, n_folds=3, seed=0), photo_pairs(ids, n_folds=3, seed=0, impostors_per_genuine=2)
    assert int(two.same.sum()) == int(one.same.sum())
    assert (~two.same).sum() > (~one.same).sum()
    big = photo_pairs([f"A/{i}.jpg" for i in range(8)] + ["B/0.jpg", "C/0.jpg"], n_folds=1, seed=0)
    assert (~big.same).sum() == 8 + 8 + 1  # every different-person pair there is, fewer than the 28 genuine
    assert any(n.startswith("warning: 11 impostor pairs short") for n in big.notes)


def test_a_pairs_file_without_folds_says_what_its_folds_cost_the_training_pool(tmp_path: Path, capsys) -> None:
    """Random impostors link everyone: the note gives each fold's training pool, which evaluate --fit then uses."""
    _, source, target = synthetic_study(n_people=40, per_person=5)
    write_parquet(source, tmp_path / "a.parquet")
    write_parquet(target, tmp_path / "b.parquet")
    rng = np.random.default_rng(0)
    ids = [str(i) for i in target.ids]
    rows = ["path1,path2,same"]
    for i in range(0, len(ids), 5):
        rows += [f"{ids[i]},{ids[i + j]},1" for j in range(1, 5)]
        rows += [f"{ids[i + 1]},{ids[int(rng.integers(len(ids)))]},0" for _ in range(4)]
    (tmp_path / "random.csv").write_text("\n".join(rows) + "\n")
    code, out, err = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", tmp_path / "random.csv", "--target",
                         tmp_path / "b.parquet", "--source", tmp_path / "a.parquet", "--fit", "ridge", "--mode",
                         "cross", "--folds", 5)  # fmt: skip
    assert code == 0, err
    pool = out.split("training images per fold ")[1].split()[1]  # the table's "lo-hi" (every image is in a pair)
    assert f"its pool (people outside the fold's pairs) holds {pool} of the pairs' 200 images" in out
    assert int(pool.split("-")[1]) < 200 * 4 // 5  # fewer than the 160 a people-disjoint fold would leave
    assert "'facebridge pairs --images DIR' writes people-disjoint folds" in out


def test_identify_reports_rank_and_dir_with_counts_from_faiss(tmp_path: Path, capsys) -> None:
    target = synthetic_study(n_people=30, per_person=4, noise=0.9)[2]
    single = EmbeddingSet(np.array(["Solo/1.jpg", "blank.jpg"], object), np.ones((2, target.dim)), target.fingerprint)
    probes = EmbeddingSet(np.concatenate([target.ids, single.ids]), np.vstack([target.vectors, single.vectors]),
                          target.fingerprint)  # fmt: skip
    write_parquet(probes, tmp_path / "b.parquet")
    code, out, err = run(capsys, "identify", "--embeddings", tmp_path / "b.parquet", "--seed", 2, "--json",
                         tmp_path / "id.json")  # fmt: skip
    assert code == 0, err
    # the same split and metrics computed without FAISS
    split = identification_split([i for i in probes.ids if i != "blank.jpg"], n_folds=1, seed=2, open_fraction=0.25)
    g = probes.vectors_of(split.gallery(0))
    expected = identify(cosine_matrix(probes.vectors_of(split.mated(0)), g), split.mate_index(0),
                        cosine_matrix(probes.vectors_of(split.nonmated(0)), g), ranks=(1, 5))  # fmt: skip
    result = json.loads((tmp_path / "id.json").read_text())
    assert result["cmc"] == pytest.approx({str(k): v for k, v in expected.cmc.items()})
    assert result["dir_open"]["0.1"]["hits"] == expected.dir_open[0.1].hits
    assert result["dir_open"]["0.1"]["false_alarms"] <= 3  # FPIR 0.1 of 32 non-mated probes: at most 3 alarms
    n_mated, n_open = expected.n_mated, expected.n_nonmated
    assert (n_mated, n_open) == (22 * 3, 8 * 4) and result["n_enrolled_people"] == 22 and result["n_distractors"] == 1
    hits1 = round(expected.cmc[1] * n_mated)
    assert f"22 people enrolled (one photo each, seed 2) + 1 one-photo distractors; {n_mated} mated probes" in out
    assert f"{n_open} probes of 8 people not enrolled" in out
    assert f"rank-1 {100 * expected.cmc[1]:.2f}% ({hits1}/66)" in out
    assert "rank-5" in out and "DIR @ FPIR 0.1 (open set)" in out and "note: 1 ids outside a person folder" in out
    assert "warning: DIR @ FPIR 0.01 is not resolved: 66/32 mated/non-mated probes (FPIR 0.01 needs >= 100" in out
    assert "DIR @ FPIR 0.1 is not resolved" not in out


def test_identify_in_a_migrated_gallery_reads_only_enrolled_vectors_from_it(tmp_path: Path, capsys) -> None:
    _, source, target = synthetic_study(n_people=20, per_person=4, noise=0.5)
    write_parquet(target, tmp_path / "b.parquet")
    scrambled = EmbeddingSet(target.ids, target.vectors[::-1].copy(), target.fingerprint)  # same space, wrong rows
    write_parquet(scrambled, tmp_path / "g.parquet")
    write_parquet(source, tmp_path / "a.parquet")
    native = identify_set(target, seed=0).result.cmc[1]
    code, out, _ = run(capsys, "identify", "--embeddings", tmp_path / "b.parquet", "--gallery", tmp_path / "g.parquet")
    assert code == 0 and f"rank-1 {100 * native:.2f}%" not in out and "model-b gallery from" in out
    code, _, err = run(capsys, "identify", "--embeddings", tmp_path / "b.parquet", "--gallery", tmp_path / "a.parquet")
    assert code == 2 and "migrate one set first" in err
    code, _, err = run(capsys, "identify", "--embeddings", tmp_path / "b.parquet", "--open-fraction", 0)
    assert code == 2 and "0 non-mated probes" in err and err.count("\n") == 1


def test_embed_names_the_photos_it_left_out_and_where_statuses_are(tmp_path: Path) -> None:
    from facebridge.cli.embed_progress import left_out_line
    from facebridge.extraction.extract import ExtractionSummary

    left = {f"P{i}/{i}.jpg": "no_face" for i in range(7)} | {"a/broken.jpg": "truncated"}
    summary = ExtractionSummary(20, {"ok": 12, "no_face": 7, "truncated": 1}, 0, {"m": 12}, {"m": 12}, 1.0, left)
    line = left_out_line(summary, tmp_path / "store")
    assert line == (f"not embedded: P0/0.jpg (no_face), P1/1.jpg (no_face), P2/2.jpg (no_face), P3/3.jpg (no_face), "
                    f"P4/4.jpg (no_face) and 3 more; every image's status is in {tmp_path / 'store' / 'images.parquet'}"
                    " (columns id, status, note)")  # fmt: skip
    assert left_out_line(ExtractionSummary(1, {"ok": 1}, 0, {}, {}, 1.0), tmp_path) is None


def test_evaluate_drops_pairs_whose_photo_had_no_face_and_counts_them(tmp_path: Path, capsys) -> None:
    from facebridge.embeddings.store import write_status

    _, source, target = synthetic_study(n_people=12, per_person=4)
    gone = {"P03/P03_0002.jpg": "no_face", "P07/P07_0001.jpg": "truncated"}
    keep = np.array([i not in gone for i in target.ids])
    write_parquet(target.take(keep), tmp_path / "store" / "b.parquet")
    write_parquet(source.take(keep), tmp_path / "store" / "a.parquet")
    write_status(tmp_path / "store" / "images.parquet",
                 {i: (gone.get(i, "ok"), "", "yunet", 0.9) for i in target.ids})  # fmt: skip
    ids = [f"P{p:02d}/P{p:02d}_{i:04d}.jpg" for p in range(12) for i in range(1, 5)]
    pairs = photo_pairs(ids, n_folds=3, seed=0)
    from facebridge.protocols.photo_pairs import write_pairs_csv

    write_pairs_csv(pairs, tmp_path / "pairs.csv")
    expected = sum(a in gone or b in gone for a, b in zip(pairs.id_a, pairs.id_b, strict=True))
    code, out, err = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", tmp_path / "pairs.csv", "--target",
                         tmp_path / "store" / "b.parquet", "--json", tmp_path / "r.json")  # fmt: skip
    assert code == 0, err
    assert f"warning: dropped {expected} of {pairs.n} pairs" in out and "P03/P03_0002.jpg (no_face)" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert any(n.endswith(f"statuses in {tmp_path / 'store' / 'images.parquet'}") for n in report["notes"])
    result = report["verification"]
    assert result["n_genuine"] + result["n_impostor"] == pairs.n - expected
    code, out, err = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", tmp_path / "pairs.csv", "--target",
                         tmp_path / "store" / "b.parquet", "--source", tmp_path / "store" / "a.parquet", "--fit",
                         "ridge", "--mode", "cross")  # fmt: skip
    assert code == 0 and f"warning: dropped {expected} of {pairs.n} pairs" in out
    # an id the store never saw is still an error, not a quiet drop
    (tmp_path / "typo.csv").write_text((tmp_path / "pairs.csv").read_text().replace("P05/P05_0001", "P05/P05_9999"))
    code, _, err = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", tmp_path / "typo.csv", "--target",
                       tmp_path / "store" / "b.parquet")  # fmt: skip
    assert code == 2 and "P05/P05_9999.jpg" in err and err.count("\n") == 1


def test_models_prints_the_user_models_folder_and_how_to_change_it(tmp_path: Path, monkeypatch, capsys) -> None:
    import platformdirs

    monkeypatch.delenv("FACEBRIDGE_USER_MODELS")
    monkeypatch.setenv("FACEBRIDGE_MODELS", str(tmp_path))
    code, out, _ = run(capsys, "models")
    default = Path(platformdirs.user_data_dir("facebridge")) / "models"
    assert code == 0 and f"your own models (facebridge models add): {default}; set $FACEBRIDGE_USER_MODELS" in out
    monkeypatch.setenv("FACEBRIDGE_USER_MODELS", str(tmp_path / "mine"))
    code, out, _ = run(capsys, "models")
    assert code == 0 and f"facebridge models add): {tmp_path / 'mine'}; set" in out


def test_identify_with_an_approximate_index_matches_exact_search_on_a_small_gallery() -> None:
    target = synthetic_study(n_people=30, per_person=4, noise=0.9)[2]
    exact, approx = identify_set(target, seed=1), identify_set(target, seed=1, index="hnsw")
    assert approx.rank_hits == exact.rank_hits and approx.result.n_mated == exact.result.n_mated


def test_impostors_linking_everyone_into_every_fold_stop_with_the_way_out(tmp_path: Path, capsys) -> None:
    _, source, target = synthetic_study(n_people=10, per_person=4)
    write_parquet(source, tmp_path / "a.parquet")
    write_parquet(target, tmp_path / "b.parquet")
    ids = [str(i) for i in target.ids]
    rows = ["path1,path2,same"]
    for p in range(10):  # each person's genuine pairs, and an impostor pair with every other person
        rows += [f"{ids[4 * p]},{ids[4 * p + j]},1" for j in range(1, 4)]
        rows += [f"{ids[4 * p]},{ids[4 * q + 1]},0" for q in range(10) if q != p]
    (tmp_path / "dense.csv").write_text("\n".join(rows) + "\n")
    code, _, err = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", tmp_path / "dense.csv", "--target",
                       tmp_path / "b.parquet", "--source", tmp_path / "a.parquet", "--fit", "ridge", "--mode", "cross",
                       "--folds", 5)  # fmt: skip
    assert code == 2 and err.count("\n") == 1
    assert "only 0 training images outside the fold's people" in err and "'facebridge pairs --images DIR'" in err
