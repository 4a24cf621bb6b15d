"""Where media files live, behind one interface: `LocalStorage` (a folder, MEDIA_ROOT) now; an S3-compatible
store can implement the same three methods later. Keys are content-addressed ("ab12…/320.webp"), so a file
never changes once written."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app

KEY = re.compile(r"^[0-9a-f]{64}/[a-z0-9]+\.(?:jpg|png|webp|gif)$")


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...
    def exists(self, key: str) -> bool: ...
    def path(self, key: str) -> Path | None: ...


def valid_key(key: str) -> bool:
    return bool(KEY.match(key))


class LocalStorage:
    """Files under `root`; written to a temporary file and renamed, so a reader never sees half a file."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _file(self, key: str) -> Path:
        if not valid_key(key):
            raise ValueError(f"not a media key: {key!r}")
        return self.root / key

    def save(self, key: str, data: bytes) -> None:
        target = self._file(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would keep a front web server from serving it
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def exists(self, key: str) -> bool:
        return self._file(key).is_file()

    def path(self, key: str) -> Path | None:
        """The file to send, or None: local storage serves through the app (a CDN or S3 would redirect)."""
        file = self._file(key)
        return file if file.is_file() else None


def storage() -> Storage:
    """The app's media storage (MEDIA_ROOT)."""
    app = current_app._get_current_object()
    store = app.extensions.get("media_storage")
    if store is None or getattr(store, "root", None) != Path(app.config["MEDIA_ROOT"]):
        store = app.extensions["media_storage"] = LocalStorage(app.config["MEDIA_ROOT"])
    return store
