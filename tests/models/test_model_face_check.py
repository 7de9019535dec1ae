"""``models add`` checks a new model on real face pairs: a wrong normalisation (random crops cannot tell) is refused,
or written with a loud warning when asked; a right one passes and says on what (issue 24)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from facebridge.cli.main import main
from tests.helpers import LFW_IMAGES, SHARED, require_shared

pytestmark = pytest.mark.models
ONNX = SHARED / "models" / "edgeface-xxs" / "edgeface_xxs.onnx"
DATA = SHARED / "data"


def add(capsys, folder: Path, *extra: str, mean: str = "127.5", std: str = "127.5") -> tuple[int, str, str]:
    args = ["models", "add", "my-edge", "--onnx", str(ONNX), "--alignment", "arc112", "--colour", "rgb", "--mean", mean,
            "--std", std, "--folder", str(folder), *extra]  # fmt: skip
    code = main(args)
    captured = capsys.readouterr()
    if code == 2:
        assert len(captured.err.strip().splitlines()) == 1, captured.err  # one line, no traceback
    return code, " ".join(captured.out.split()), " ".join(captured.err.split())


@pytest.fixture(autouse=True)
def shared(monkeypatch) -> None:
    require_shared(ONNX, DATA / "lfw" / "pairsDevTrain.txt", LFW_IMAGES, SHARED / "models" / "yunet")
    monkeypatch.setenv("FACEBRIDGE_MODELS", str(SHARED / "models"))


def test_a_wrong_mean_and_std_is_refused_on_lfw_view1_pairs(tmp_path, capsys) -> None:
    code, _, err = add(capsys, tmp_path, "--data", str(DATA), mean="0", std="1")
    assert code == 2 and not (tmp_path / "my-edge.toml").exists()
    assert "genuine pairs do not outscore impostors" in err and "LFW View 1" in err and "--mean, --std" in err
    code, _, err = add(capsys, tmp_path, "--data", str(DATA), "--accept-failed-check", mean="0", std="1")
    assert code == 0 and (tmp_path / "my-edge.toml").is_file()
    assert "warning: my-edge FAILED the face check, written anyway" in err


def test_the_right_normalisation_passes_and_says_on_what(tmp_path, capsys) -> None:
    code, out, err = add(capsys, tmp_path, "--data", str(DATA))
    assert code == 0, err
    assert "checked on real faces: 10 genuine / 10 impostor pairs of LFW View 1" in out and "AUC 1.00" in out


def test_the_users_own_photos_check_it_too(tmp_path, capsys) -> None:
    photos = tmp_path / "photos"
    for person in ("Al_Gore", "Colin_Powell", "George_W_Bush", "Tony_Blair"):
        (photos / person).mkdir(parents=True)
        for src in sorted((LFW_IMAGES / person).glob("*.jpg"))[:3]:
            shutil.copy(src, photos / person / src.name)
    code, _, err = add(capsys, tmp_path, "--photos", str(photos), mean="0", std="1")
    assert code == 2 and f"your photos in {photos}" in err and "8 genuine / 3 impostor" in err
    code, out, err = add(capsys, tmp_path, "--photos", str(photos))
    assert code == 0 and "checked on real faces: 8 genuine / 3 impostor pairs of your photos" in out
