"""Refuse to serve a model from outside models/ or trained by another Rasa.

Models are archives that Rasa unpacks and deserialises; CVE-2024-49375 showed
that loading an untrusted or older model can run code. `make run` only serves
models this project trained: a file inside models/ whose metadata says Rasa
3.6.21.

    python scripts/check_model.py models/<name>.tar.gz
"""

from __future__ import annotations

import json
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
REQUIRED_VERSION = "3.6.21"


def check(path: Path) -> str:
    """Return an error message, or '' when the model may be served."""
    path = path.resolve()
    if MODELS.resolve() not in path.parents:
        return f"{path} is not inside {MODELS}: only this project's models are served"
    if not path.is_file():
        return f"{path} does not exist: run `make train`"
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = next(
                m for m in archive.getmembers() if m.name.lstrip("/") == "metadata.json"
            )
            metadata = json.load(archive.extractfile(member))
    except (tarfile.TarError, StopIteration, ValueError, OSError) as error:
        return f"{path} is not a Rasa model archive ({error})"
    version = metadata.get("rasa_open_source_version")
    if version != REQUIRED_VERSION:
        return (
            f"{path} was trained with Rasa {version}, not {REQUIRED_VERSION}: retrain"
        )
    return ""


def main() -> int:
    error = check(Path(sys.argv[1]))
    if error:
        print(f"refusing to serve the model: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
