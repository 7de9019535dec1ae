"""bob 5-column and pyeer score files, and the TAR@FAR table bounded by the impostor count."""

from __future__ import annotations

import numpy as np

from facebridge.protocols import PairList, roc_curve
from facebridge.protocols.score_files import pyeer_paths, supported_fars, tar_at_far_table, write_score_files


def test_score_files(tmp_path) -> None:
    pairs = PairList(
        np.array(["A/1.jpg", "A/1.jpg"], dtype=object),
        np.array(["A/2.jpg", "B/1.jpg"], dtype=object),
        np.array([True, False]),
        np.array([0, 0]),
        "toy",
    )
    paths = write_score_files(pairs, np.array([0.75, -0.25]), tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text() == "A A/1.jpg A A/2.jpg 0.75\nA A/1.jpg B B/1.jpg -0.25\n"
    genuine, impostor = pyeer_paths(tmp_path / "s.csv")
    assert paths[1:] == [genuine, impostor]
    assert genuine.read_text() == "0.75\n" and impostor.read_text() == "-0.25\n"


def test_supported_fars_stop_at_one_false_accept() -> None:
    assert supported_fars(3000) == [0.1, 0.01, 0.001]
    assert supported_fars(999) == [0.1, 0.01]
    assert supported_fars(10) == [0.1]
    assert supported_fars(9) == []


def test_tar_at_far_table_reads_the_roc() -> None:
    rng = np.random.default_rng(0)
    scores = np.concatenate([rng.normal(2, 1, 500), rng.normal(0, 1, 1000)])
    same = np.arange(1500) < 500
    roc = roc_curve(scores, same)
    table = tar_at_far_table(roc)
    assert [r["far"] for r in table] == [0.1, 0.01, 0.001]
    assert [r["false_accepts_allowed"] for r in table] == [100, 10, 1]
    impostor = np.sort(scores[~same])[::-1]
    for row in table:  # the threshold just above the (allowed+1)-th impostor: TAR = genuines above it
        t = impostor[row["false_accepts_allowed"]]
        assert row["tar"] == np.mean(scores[same] > t)


def test_ids_with_whitespace_keep_five_fields_and_name_both_photos(tmp_path) -> None:
    from urllib.parse import unquote

    a, b = "Ann Lee/photo 1.jpg", "Bo%b/two\nlines\t.jpg"
    pairs = PairList(np.array([a], object), np.array([b], object), np.array([False]), np.array([0]), "toy")
    write_score_files(pairs, np.array([0.5]), tmp_path / "s.txt")
    lines = (tmp_path / "s.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    fields = lines[0].split()  # as bob reads it
    assert len(fields) == 5 and [unquote(f) for f in fields[:4]] == ["Ann Lee", a, "Bo%b", b]
    assert fields[0] == "Ann%20Lee" and float(fields[4]) == 0.5
