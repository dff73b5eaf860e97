"""Turn raw bytes into Unicode text, detecting the encoding.

Order: byte-order marks; UTF-16 without a mark (NUL bytes in every other
position); strict UTF-8; Windows-1258 when Vietnamese tone marks fit; strict
Windows-1252 (French and English); then charset-normalizer restricted to a
few Western single-byte code pages. The result
is NFC-normalised, so Windows-1258's separate tone marks become precomposed
letters. Binary files are refused with a clear reason.
"""

from __future__ import annotations

import codecs
import unicodedata

__all__ = ["DecodeError", "decode_bytes"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Bytes that Windows-1258 and Windows-1252 decode differently.
_CP1258_ONLY = frozenset(b"\xc3\xcc\xd0\xd2\xd5\xdd\xde\xe3\xec\xf0\xf2\xf5\xfd\xfe")
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VIETNAMESE_LETTERS = frozenset("ăâđêôơưĂÂĐÊÔƠƯ")
#: Tried by charset-normalizer only when strict Windows-1252 fails.
_FALLBACK_CODEPAGES = ["latin_1", "iso8859_15", "cp1250", "mac_roman"]


class DecodeError(ValueError):
    """The bytes are not text in any supported encoding."""


def _utf16_without_bom(data: bytes) -> str | None:
    if len(data) < 2 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    share_even = even.count(0) / len(even)
    share_odd = odd.count(0) / len(odd)
    if share_odd >= 0.3 and share_even < 0.05:
        codec = "utf-16-le"
    elif share_even >= 0.3 and share_odd < 0.05:
        codec = "utf-16-be"
    else:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _vietnamese_cp1258(data: bytes) -> str | None:
    """Decode as Windows-1258 when its tone marks and letters fit Vietnamese."""
    specific = sum(1 for byte in data if byte in _CP1258_ONLY)
    if not specific:
        return None
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        return None
    marks = [i for i, ch in enumerate(text) if ch in _TONE_MARKS]
    attached = sum(1 for i in marks if i > 0 and text[i - 1].isalpha())
    evidence = attached + sum(1 for ch in text if ch in _VIETNAMESE_LETTERS)
    if attached < len(marks) or evidence < max(2, specific // 2):
        return None
    return text


def _charset_normalizer(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_FALLBACK_CODEPAGES).best()
    if best is None:
        return None
    return str(best), best.encoding


def _check_text(text: str, *, allowed: str = "\n\r\t\f") -> None:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in allowed)
    if controls > max(2, len(text) // 100):
        raise DecodeError("binary file (control characters)")


def decode_bytes(data: bytes, *, tolerate_nul: bool = False) -> tuple[str, str]:
    """Decode ``data`` to NFC text.

    Parameters
    ----------
    data : bytes
    tolerate_nul : bool
        Keep a few NUL bytes (at most 1% of the bytes) as NUL characters
        instead of refusing the data as binary: a table whose one cell holds
        a NUL byte is still a table (its reader removes them, with a note).

    Returns
    -------
    text : str
        The decoded, NFC-normalised text (byte-order mark removed).
    encoding : str
        The codec used, e.g. ``"utf-8"``, ``"utf-16"``, ``"cp1258"``.

    Raises
    ------
    DecodeError
        ``"binary file (NUL bytes)"`` and the like when ``data`` is not text.
    """
    text = encoding = None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text, encoding = data.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise DecodeError(f"invalid {codec} text after byte-order mark: {exc.reason}") from exc
            break
    if text is None and b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is not None:
            encoding = "utf-16"
        elif not tolerate_nul or data.count(0) > max(2, len(data) // 100):
            raise DecodeError("binary file (NUL bytes)")
    if text is None:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    if text is None and (cp1258 := _vietnamese_cp1258(data)) is not None:
        text, encoding = cp1258, "cp1258"
    if text is None:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    if text is None and (found := _charset_normalizer(data)) is not None:
        text, encoding = found
    if text is None:
        text, encoding = data.decode("cp1252", errors="replace"), "cp1252"
    text = text.lstrip("\ufeff")
    _check_text(text, allowed="\n\r\t\f\x00" if tolerate_nul else "\n\r\t\f")
    return unicodedata.normalize("NFC", text), encoding
