"""The onnxruntime ``graph_optimization`` option: a level, or a table of levels by instruction set."""

from __future__ import annotations

from pathlib import Path

import pytest

from facebridge.errors import DataFormatError, InvalidInputError
from facebridge.models import get_spec
from facebridge.models.ort_model import cpu_has_avx512, graph_level
from facebridge.models.spec import loads_spec


def test_a_level_is_used_as_it_is() -> None:
    assert graph_level("extended", "m", avx512=True) == "extended"
    assert graph_level("all", "m", avx512=False) == "all"


@pytest.mark.parametrize(("avx512", "want"), [(True, "extended"), (False, "all")])
def test_a_table_picks_the_level_of_the_cpus_instruction_set(avx512: bool, want: str) -> None:
    assert graph_level({"avx512": "extended", "default": "all"}, "m", avx512=avx512) == want
    assert graph_level({"default": "basic"}, "m", avx512=avx512) == "basic"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("fast", "m: option graph_optimization must be one of basic, extended, all, got 'fast'"),
        ({"avx512": "fast", "default": "all"}, "must be one of basic, extended, all, got 'fast'"),
        ({"avx512": "all"}, "m: a graph_optimization table takes the keys avx512, default \\(default required\\)"),
        ({"sse": "all", "default": "all"}, "takes the keys avx512, default .*got sse, default"),
    ],
)
def test_a_bad_option_is_a_one_line_error(option: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        graph_level(option, "m", avx512=True)


def test_the_cpu_flag_is_read_from_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("flags\t\t: fpu sse avx2 avx512f avx512bw\n")
    assert cpu_has_avx512(info)
    info.write_text("flags\t\t: fpu sse avx2\n")
    assert not cpu_has_avx512(info)
    assert not cpu_has_avx512(tmp_path / "missing")


SPEC = """
name = "m"
runtime = "onnxruntime"
dim = 8
options = {{ graph_optimization = {value} }}
"""


def test_specs_take_a_table_of_scalars_as_an_option_value() -> None:
    options = get_spec("faceplugin-512").options
    assert options == {"graph_optimization": {"avx512": "extended", "default": "all"}}
    assert graph_level(options["graph_optimization"], "faceplugin-512") in ("extended", "all")
    with pytest.raises(DataFormatError, match="expected a number, string or boolean, got"):
        loads_spec(SPEC.format(value='{ avx512 = ["all"], default = "all" }'), "t.toml")
