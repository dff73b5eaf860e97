"""Deterministic zips and their safe extraction."""

from __future__ import annotations

import os
import stat
import zipfile

import pytest

from coopthemes.replication.archive import ZIP_DATE, ArchiveError, Limits, extract_archive, safe_name, write_archive


def _zip(path, entries):
    """A zip written by hand (for archives this package would never write)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            if isinstance(name, zipfile.ZipInfo):
                zf.writestr(name, data)
            else:
                zf.writestr(name, data)
    return path


def test_same_content_same_bytes_sorted_entries_fixed_times(tmp_path):
    src = tmp_path / "b.txt"
    src.write_bytes(b"from a file\n" * 1000)
    entries = {"pkg/b.txt": src, "pkg/a.json": b'{"x": 1}\n', "pkg/sub/c.bin": bytes(range(256))}
    one = write_archive(entries, tmp_path / "one.zip")
    src.touch()  # a newer mtime changes nothing
    two = write_archive(dict(reversed(list(entries.items()))), tmp_path / "two.zip")
    assert one.read_bytes() == two.read_bytes()
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(one.stat().st_mode) == 0o666 & ~mask
    with zipfile.ZipFile(one) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["pkg/a.json", "pkg/b.txt", "pkg/sub/c.bin"]
        assert {i.date_time for i in infos} == {ZIP_DATE}
        assert {stat.S_IMODE(i.external_attr >> 16) for i in infos} == {0o644}
        assert zf.read("pkg/b.txt") == src.read_bytes()
    out = extract_archive(one, tmp_path / "x")
    assert sorted(p.relative_to(tmp_path / "x").as_posix() for p in out) == sorted(entries)
    assert (tmp_path / "x" / "pkg" / "sub" / "c.bin").read_bytes() == bytes(range(256))


@pytest.mark.parametrize("name, why", [
    ("/etc/passwd", "absolute path"),
    ("C:/x.txt", "absolute path"),
    ("../x.txt", "'..' in the path"),
    ("a/../../x.txt", "'..' in the path"),
    ("a\\..\\x.txt", "backslash"),
    ("a//x.txt", "empty or '.' part"),
    ("a/./x.txt", "empty or '.' part"),
    ("a/x\n.txt", "control character"),
])
def test_unsafe_names_are_refused_before_anything_is_written(tmp_path, name, why):
    assert why in safe_name(name)
    bad = _zip(tmp_path / "bad.zip", [("ok.txt", b"fine"), (name, b"evil")])
    with pytest.raises(ArchiveError, match=rf"bad.zip: entry .* refused \({why}"):
        extract_archive(bad, tmp_path / "out")
    assert not (tmp_path / "out" / "ok.txt").exists()
    with pytest.raises(ArchiveError, match="cannot be stored"):
        write_archive({name: b"x"}, tmp_path / "w.zip")


def test_links_repeats_and_case_twins_are_refused(tmp_path):
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(ArchiveError, match="'link' refused \\(a symbolic link\\)"):
        extract_archive(_zip(tmp_path / "l.zip", [(link, b"/etc/passwd")]), tmp_path / "o1")
    with pytest.raises(ArchiveError, match="'README.md' repeats 'readme.md'"):
        extract_archive(_zip(tmp_path / "c.zip", [("readme.md", b"a"), ("README.md", b"b")]), tmp_path / "o2")
    with pytest.raises(ArchiveError, match="lies under the file 'a'"):
        extract_archive(_zip(tmp_path / "f.zip", [("a", b"file"), ("a/b", b"inside")]), tmp_path / "o3")
    with pytest.raises(ArchiveError, match="differ only in case"):
        write_archive({"A.txt": b"1", "a.txt": b"2"}, tmp_path / "w.zip")


def test_size_limits_and_zip_bombs(tmp_path):
    many = _zip(tmp_path / "many.zip", [(f"f{i}.txt", b"x") for i in range(5)])
    with pytest.raises(ArchiveError, match="5 entries, more than the 4 allowed"):
        extract_archive(many, tmp_path / "o1", limits=Limits(max_entries=4))
    big = _zip(tmp_path / "big.zip", [("a.bin", b"\x01" * 5000), ("b.bin", b"\x02" * 5000)])
    with pytest.raises(ArchiveError, match="'a.bin' holds 5000 bytes, more than the 4000 allowed"):
        extract_archive(big, tmp_path / "o2", limits=Limits(max_file_bytes=4000))
    with pytest.raises(ArchiveError, match="more than the 8000 bytes allowed"):
        extract_archive(big, tmp_path / "o3", limits=Limits(max_total_bytes=8000))
    bomb = _zip(tmp_path / "bomb.zip", [("zeros.bin", bytes(50 << 20))])
    with pytest.raises(ArchiveError, match="'zeros.bin' expands [0-9]+ times, more than the 1000 allowed"):
        extract_archive(bomb, tmp_path / "o4")


def test_an_entry_that_lies_about_its_size_is_caught(tmp_path):
    path = _zip(tmp_path / "lie.zip", [("a.txt", b"0123456789" * 100)])
    data = bytearray(path.read_bytes())
    # the central directory's uncompressed size of the entry: 1000 -> 10
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="lie.zip"):
        extract_archive(path, tmp_path / "out")


def test_not_a_zip_missing_and_a_used_folder(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ArchiveError, match="junk.zip: not a readable zip archive"):
        extract_archive(junk, tmp_path / "o1")
    with pytest.raises(ArchiveError, match="absent.zip: no such file"):
        extract_archive(tmp_path / "absent.zip", tmp_path / "o2")
    good = write_archive({"a.txt": b"a"}, tmp_path / "good.zip")
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ArchiveError, match="used: exists and is not an empty folder"):
        extract_archive(good, used)
    assert (used / "keep.txt").read_text(encoding="utf-8") == "mine"
