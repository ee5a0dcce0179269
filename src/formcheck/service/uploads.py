"""Receive a multipart upload as it streams in: the video goes straight to a file named by the server, the size limit
and the content check apply while the bytes arrive, and nothing is left behind when the upload is refused.

Only the multipart field `file` becomes a file, and only under a name the server makes; the client's file name is
kept as a display name (its last path component, printable, at most 120 characters). The field `exercise` is read
into memory (a few bytes). Other fields are read and dropped.
"""
from __future__ import annotations

import os
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from formcheck.service.sniff import ACCEPTED, SNIFF_BYTES, Container, NotAVideo, sniff

FORM_OVERHEAD_BYTES = 64 * 1024  # multipart boundaries, headers and the small fields around the video
MAX_FIELD_BYTES = 1024
MAX_FILENAME_CHARS = 120


class UploadRejected(Exception):
    """An upload refused with an HTTP status, a short error code and a one-line reason."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


@dataclass
class Upload:
    path: Path                    # the server-named file holding the video
    filename: str                 # the client's name for it, for display only
    container: Container
    size_bytes: int
    fields: dict[str, str] = field(default_factory=dict)


def display_name(raw: str | None) -> str:
    """The client's file name as something safe to show: the last path component (either slash), control and
    format characters dropped, trimmed to MAX_FILENAME_CHARS. Never used as a path."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C").strip()
    if name in ("", ".", ".."):
        return "upload"
    return name[:MAX_FILENAME_CHARS]


def too_large(max_bytes: int) -> UploadRejected:
    return UploadRejected(413, "too_large", f"the video is larger than this server's limit of {_megabytes(max_bytes)} "
                                            "(formcheck serve --max-upload-mb); trim it or film a shorter clip")


def _megabytes(n: int) -> str:
    return f"{n / 1e6:g} MB"


async def receive_upload(headers: dict[str, str], chunks: AsyncIterator[bytes], incoming: Path,
                         max_bytes: int) -> Upload:
    """Stream a multipart/form-data body into `incoming`/<random>.part. Returns the Upload (the caller moves the
    file to its job's folder), or raises UploadRejected: 413 past max_bytes (checked against Content-Length first,
    then on every chunk), 415 when the first bytes are not a video container or the body is not multipart,
    422 when the field `file` is missing, empty or given twice. The partial file is removed on any failure."""
    content_type, params = parse_options_header(headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UploadRejected(415, "not_multipart",
                             "send the video as multipart/form-data in the field 'file' (and optionally 'exercise')")
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD_BYTES:
        raise too_large(max_bytes)

    receiver = _Receiver(incoming, max_bytes)
    parser = MultipartParser(boundary, receiver.callbacks())
    try:
        async for chunk in chunks:
            receiver.body_bytes += len(chunk)
            if receiver.body_bytes > max_bytes + FORM_OVERHEAD_BYTES:
                raise too_large(max_bytes)
            parser.write(chunk)
        parser.finalize()
        return receiver.result()
    except (UploadRejected, ClientDisconnect):
        receiver.discard()
        raise
    except Exception as exc:  # a malformed body
        receiver.discard()
        raise UploadRejected(400, "bad_multipart", f"the upload could not be read as multipart/form-data ({exc})") from None
    finally:
        receiver.close()


class _Receiver:
    """The multipart parser's callbacks: headers of each part, then its data to the file or a small buffer."""

    def __init__(self, incoming: Path, max_bytes: int):
        self.incoming = incoming
        self.max_bytes = max_bytes
        self.body_bytes = 0
        self.fields: dict[str, str] = {}
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._part: str | None = None  # "file", a field name, or None (dropped)
        self._buffer = bytearray()
        self._file = None
        self.path: Path | None = None
        self.filename = ""
        self.size = 0
        self._head = bytearray()
        self.container: Container | None = None
        self._file_parts = 0
        self._ended = False

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._add("_header_field", data[start:end]),
            "on_header_value": lambda data, start, end: self._add("_header_value", data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _add(self, name: str, data: bytes) -> None:
        value = getattr(self, name) + data
        if len(value) > 8 * 1024:
            raise UploadRejected(400, "bad_multipart", "a multipart header is too long")
        setattr(self, name, value)

    def _part_begin(self) -> None:
        self._headers = {}
        self._part = None
        self._buffer = bytearray()

    def _header_end(self) -> None:
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == "file":
            self._file_parts += 1
            if self._file_parts > 1:
                raise UploadRejected(422, "several_files", "send one video per job (the field 'file' came twice)")
            self.filename = display_name(options.get(b"filename", b"").decode("utf-8", "replace"))
            self.incoming.mkdir(parents=True, exist_ok=True)
            self.path = self.incoming / f"{secrets.token_hex(12)}.part"
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._file = os.fdopen(fd, "wb")
            self._part = "file"
        else:
            self._part = name

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        piece = data[start:end]
        if self._part == "file":
            self.size += len(piece)
            if self.size > self.max_bytes:
                raise too_large(self.max_bytes)
            if self.container is None:
                self._head += piece[: SNIFF_BYTES - len(self._head)]
                if len(self._head) >= SNIFF_BYTES:
                    self._sniff()
            self._file.write(piece)
        elif self._part:
            self._buffer += piece
            if len(self._buffer) > MAX_FIELD_BYTES:
                raise UploadRejected(422, "field_too_long", f"the field {self._part!r} is over {MAX_FIELD_BYTES} bytes")

    def _part_end(self) -> None:
        if self._part == "file":
            if self.size == 0:
                raise UploadRejected(422, "empty_file", f"{self.filename}: the file is empty")
            if self.container is None:
                self._sniff()
            self._file.close()
        elif self._part:
            self.fields[self._part] = self._buffer.decode("utf-8", "replace").strip()
        self._part = None

    def _end(self) -> None:
        self._ended = True

    def _sniff(self) -> None:
        try:
            self.container = sniff(bytes(self._head))
        except NotAVideo as exc:
            raise UploadRejected(415, "not_a_video", f"{self.filename}: {exc} (formcheck takes {ACCEPTED})") from None

    def result(self) -> Upload:
        if not self._ended:
            raise UploadRejected(400, "bad_multipart", "the upload ended before the end of the multipart body")
        if self.path is None or self.container is None:
            raise UploadRejected(422, "no_file", "no video: send it in the multipart field 'file'")
        return Upload(self.path, self.filename, self.container, self.size, dict(self.fields))

    def close(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()

    def discard(self) -> None:
        self.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
