"""Session fixtures giving tests the androwarn sample APK, a real app with a known record.

The APK ships inside the androwarn 1.6.1 sdist on PyPI (LGPL-3.0-or-later). The fixture
downloads the sdist with pip once into a cache folder (``$DROIDLENS_TEST_CACHE``, default
``~/.cache/droidlens-test``) and reuses it afterwards. Import the fixtures into a test module
with ``from apk_fixtures import androwarn_apk, androwarn_record``.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

CACHE_DIR = Path(os.environ.get("DROIDLENS_TEST_CACHE", Path.home() / ".cache" / "droidlens-test"))
ANDROWARN_SDIST = "androwarn-1.6.1.tar.gz"
ANDROWARN_MEMBER = "androwarn/_SampleApplication/bin/SampleApplication.apk"
ANDROWARN_SHA256 = "5c63eefedb5aeebecb65cde43a373f6bf07c058cd186633604a36425b98d3c27"
_PIP_SECONDS = 180


def _download_sdist(cache_dir: Path) -> Path:
    sdist = cache_dir / ANDROWARN_SDIST
    if sdist.is_file():
        return sdist
    cache_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "androwarn==1.6.1"]
    try:
        subprocess.run(
            [*command, "-d", str(cache_dir)],
            check=True,
            capture_output=True,
            text=True,
            timeout=_PIP_SECONDS,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as err:
        detail = getattr(err, "stderr", None) or err
        pytest.skip(
            f"androwarn 1.6.1 could not be downloaded from the package registry and "
            f"{sdist} is absent: {str(detail).strip()[-300:]}"
        )
    if not sdist.is_file():
        pytest.skip(f"pip download did not produce {sdist}")
    return sdist


@pytest.fixture(scope="session")
def androwarn_apk() -> Path:
    """Return the path of androwarn's SampleApplication.apk, downloading it once."""
    apk = CACHE_DIR / "SampleApplication.apk"
    if not apk.is_file():
        sdist = _download_sdist(CACHE_DIR)
        with tarfile.open(sdist) as archive:
            member = next(m for m in archive.getmembers() if m.name.endswith(ANDROWARN_MEMBER))
            stream = archive.extractfile(member)
            if stream is None:
                pytest.fail(f"{sdist}: {member.name} is not a regular file")
            partial = apk.with_suffix(".partial")
            partial.write_bytes(stream.read())
            partial.replace(apk)
    return apk


@pytest.fixture(scope="session")
def androwarn_record(real_apps_path: Path) -> dict[str, Any]:
    """Return the dataset record of the androwarn sample app."""
    with gzip.open(real_apps_path, "rt", encoding="utf-8") as stream:
        for line in stream:
            # The sha256 is the first field; decoding only that line keeps the scan fast.
            if ANDROWARN_SHA256 in line[:100]:
                return json.loads(line)
    pytest.fail(f"{real_apps_path} has no record with sha256 {ANDROWARN_SHA256}")
