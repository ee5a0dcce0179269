"""What an upload is, from its first bytes (never its name or the client's Content-Type). Pure.

Video containers are told apart by their signatures; anything else is named in plain words ("text", "a JPEG image")
so the 415 answer says what was sent. A container that passes can still hold no decodable video: the worker's decode
then fails the job with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass

SNIFF_BYTES = 512  # enough for every signature below (an MPEG-TS needs two 188-byte packets)
ACCEPTED = "MP4, MOV, 3GP, WebM, MKV, AVI, MPEG-TS or MPEG-PS"

_ISO_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_ISO_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}
_QUICKTIME_LEAD_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True)
class Container:
    name: str        # plain words
    extension: str   # the server's file name for the upload ends with this
    media_type: str  # the upload's MIME type


class NotAVideo(ValueError):
    """The bytes are not a video container; the message says what they look like."""


def sniff(head: bytes) -> Container:
    """The container of a file starting with `head` (its first SNIFF_BYTES bytes, or all of a shorter file).

    NotAVideo, saying what the bytes look like, for anything else."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _ISO_AUDIO_BRANDS:
            raise NotAVideo("is an audio file (MPEG-4 audio), not a video")
        if brand in _ISO_IMAGE_BRANDS:
            raise NotAVideo(f"is a still image ({brand.decode('ascii', 'replace').strip().upper()}), not a video")
        if brand == b"qt  ":
            return Container("QuickTime", ".mov", "video/quicktime")
        if brand.startswith(b"3g"):
            return Container("3GP", ".3gp", "video/3gpp")
        return Container("MP4", ".mp4", "video/mp4")
    if len(head) >= 8 and head[4:8] in _QUICKTIME_LEAD_BOXES:
        return Container("QuickTime", ".mov", "video/quicktime")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if b"webm" in head[:64]:
            return Container("WebM", ".webm", "video/webm")
        return Container("Matroska", ".mkv", "video/x-matroska")
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return Container("AVI", ".avi", "video/x-msvideo")
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return Container("MPEG-TS", ".ts", "video/mp2t")
    if head.startswith(b"\x00\x00\x01\xba"):
        return Container("MPEG-PS", ".mpg", "video/mpeg")
    raise NotAVideo(f"is {_describe(head)}, not a video")


_OTHER_SIGNATURES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"ID3", "an MP3 audio file"),
    (b"OggS", "an Ogg file (audio)"),
    (b"fLaC", "a FLAC audio file"),
    (b"\x7fELF", "a program (ELF)"),
)


def _describe(head: bytes) -> str:
    if not head:
        return "empty"
    for signature, words in _OTHER_SIGNATURES:
        if head.startswith(signature):
            return words
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "a WAV audio file"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "a WebP image"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:  # a multi-byte character cut at the end of the head
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "not a known video format (unrecognised bytes)"
    if all(c.isprintable() or c in "\r\n\t" for c in text):
        return "text"
    return "not a known video format (unrecognised bytes)"
