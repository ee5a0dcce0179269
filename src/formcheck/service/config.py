"""The settings of one `formcheck serve`: where its data lives and its limits. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("formcheck-data")


@dataclass(frozen=True)
class ServiceConfig:
    """host/port: where to listen (port 0: any free port). workers: pose worker processes (one model each).
    max_upload_mb: the largest video accepted, in MB (10^6 bytes). token: when set, the API wants
    `Authorization: Bearer TOKEN` and the pages a cookie set by the login form. keep_days: finished jobs older than
    this are deleted (0: kept). max_disk_gb: the oldest finished jobs are deleted while the jobs take more (0: no
    limit); an upload that would go over it with only unfinished jobs left is refused (507)."""

    data_dir: Path = DEFAULT_DATA_DIR
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_upload_mb: float = 500.0
    token: str | None = None
    keep_days: float = 7.0
    max_disk_gb: float = 20.0

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"--port {self.port}: choose 0 to 65535")
        if self.workers < 1:
            raise ValueError(f"--workers {self.workers}: at least 1")
        if not self.max_upload_mb > 0:
            raise ValueError(f"--max-upload-mb {self.max_upload_mb:g}: must be more than 0")
        if not self.keep_days >= 0 or not self.max_disk_gb >= 0:
            raise ValueError("--keep-days and --max-disk-gb: 0 (no limit) or more")
        if self.token is not None and not self.token.strip():
            raise ValueError("--token: is empty; give a secret, or leave the option out for no token")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1e6)

    @property
    def max_disk_bytes(self) -> int | None:
        return int(self.max_disk_gb * 1e9) if self.max_disk_gb else None

    @property
    def db_path(self) -> Path:
        return Path(self.data_dir) / "jobs.sqlite3"

    @property
    def jobs_dir(self) -> Path:
        return Path(self.data_dir) / "jobs"

    @property
    def incoming_dir(self) -> Path:
        """Uploads while they stream in (server-named .part files)."""
        return Path(self.data_dir) / "incoming"
