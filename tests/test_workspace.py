"""Workspace-level guarantees: lockstep versions, exact sibling pins, import names, matrix legs."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTIONS = {
    "rampart-core": ("rampart", None),
    "rampart-pytest": ("rampart_pytest", "rampart-core"),
    "rampart-xdist": ("rampart_xdist", "rampart-pytest"),
}


# Packaging does not depend on the leg: check it once per matrix run (py3.11, xdist off) and in
# development runs outside the matrix.
_PACKAGING_LEG = sys.version_info[:2] == (3, 11) and os.environ.get("RAMPART_TEST_LEG") in {
    None,
    "xdist-off",
}
packaging = pytest.mark.skipif(
    not _PACKAGING_LEG, reason="packaging is checked in the py3.11 xdist-off leg"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build every distribution's wheel and sdist with hatchling, the release build backend."""
    out = tmp_path_factory.mktemp("dist")
    wheels: dict[str, Path] = {}
    for dist in DISTRIBUTIONS:
        subprocess.run(
            [sys.executable, "-m", "hatchling", "build", "-d", str(out)],
            cwd=ROOT / "packages" / dist,
            check=True,
            capture_output=True,
        )
        (wheel,) = out.glob(f"{dist.replace('-', '_')}-*.whl")
        wheels[dist] = wheel
    return wheels


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(zf.read(name))


@packaging
def test_one_version_and_exact_sibling_pins(built: dict[str, Path]) -> None:
    version = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
    for dist, (_, sibling) in DISTRIBUTIONS.items():
        meta = _metadata(built[dist])
        assert meta["Name"] == dist
        assert meta["Version"] == version
        assert meta["Requires-Python"] == ">=3.11"
        requires = meta.get_all("Requires-Dist") or []
        runtime = [r for r in requires if "extra ==" not in r]
        if sibling is None:
            assert runtime == [], "rampart-core has no runtime dependencies"
        else:
            assert f"{sibling}=={version}" in runtime


@packaging
def test_wheels_hold_exactly_their_import_package(built: dict[str, Path]) -> None:
    for dist, (package, _) in DISTRIBUTIONS.items():
        with zipfile.ZipFile(built[dist]) as zf:
            top = {
                n.split("/")[0] for n in zf.namelist() if not n.split("/")[0].endswith(".dist-info")
            }
            assert top == {package}
            assert f"{package}/py.typed" in zf.namelist()


@packaging
def test_sdists_build_with_the_same_version(built: dict[str, Path]) -> None:
    version = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
    out = next(iter(built.values())).parent
    sdists = sorted(p.name for p in out.glob("*.tar.gz"))
    assert sdists == [f"{d.replace('-', '_')}-{version}.tar.gz" for d in sorted(DISTRIBUTIONS)]


@packaging
def test_plugin_entry_points(built: dict[str, Path]) -> None:
    expected = {
        "rampart-pytest": "rampart = rampart_pytest.plugin",
        "rampart-xdist": "rampart_xdist = rampart_xdist.plugin",
    }
    for dist, line in expected.items():
        with zipfile.ZipFile(built[dist]) as zf:
            (name,) = [n for n in zf.namelist() if n.endswith("entry_points.txt")]
            text = zf.read(name).decode()
        assert "[pytest11]" in text
        assert line in text


@pytest.mark.skipif(
    os.environ.get("RAMPART_TEST_LEG") != "xdist-off", reason="only the xdist-off leg"
)
def test_xdist_off_leg_really_has_no_xdist() -> None:
    with pytest.raises(ImportError):
        import xdist  # noqa: F401
    with pytest.raises(ImportError):
        import rampart_xdist  # noqa: F401


@packaging
def test_sdists_build_wheels_on_their_own(built: dict[str, Path], tmp_path: Path) -> None:
    """An sdist carries its own VERSION and hook, so it rebuilds without the repository."""
    import tarfile

    out = next(iter(built.values())).parent
    sdist = next(out.glob("rampart_pytest-*.tar.gz"))
    with tarfile.open(sdist) as tf:
        tf.extractall(tmp_path, filter="data")
    (source,) = tmp_path.iterdir()
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "w")],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "w").glob("*.whl")
    assert _metadata(wheel)["Version"] == _metadata(built["rampart-pytest"])["Version"]


@packaging
def test_core_alone_installs_nothing_else(built: dict[str, Path], tmp_path: Path) -> None:
    """``pip install rampart-core`` into an empty venv brings no other distribution."""
    env = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-index", str(built["rampart-core"])],
        check=True,
        capture_output=True,
    )
    listed = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, json; print(json.dumps([d.metadata['Name'] for d in m.distributions()]))",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    names = set(json.loads(listed)) - {"pip", "setuptools"}
    assert names == {"rampart-core"}
    subprocess.run([str(python), "-c", "import rampart; rampart.Result"], check=True)
