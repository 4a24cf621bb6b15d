#!/bin/sh
# Rebuild requirements.lock from requirements.txt: a fresh venv installs it, `pip freeze` pins every package
# (transitive ones too), and each pinned file for CPython 3.11 on linux x86_64 (the image's platform) is
# downloaded and hashed. `make lock` runs this; commit the result with the requirements.txt change.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check -r requirements.txt
"$work/venv/bin/pip" freeze --exclude pip --exclude setuptools --exclude wheel > "$work/frozen.txt"
"$work/venv/bin/pip" download -q --disable-pip-version-check --no-deps -r "$work/frozen.txt" -d "$work/files"
"$work/venv/bin/python" - "$work" <<'PY' > requirements.lock
import hashlib, re, sys
from pathlib import Path
work = Path(sys.argv[1])
norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()
files = {}
for path in sorted((work / "files").iterdir()):
    name = path.name.split("-")[0] if path.suffix == ".whl" else path.name.rsplit("-", 1)[0]
    files.setdefault(norm(name), []).append(path)
print("# The runtime dependencies of requirements.txt, every one pinned with its hash (pip install --require-hashes).")
print("# Made by docker/lock.sh (`make lock`): a fresh venv installs requirements.txt, `pip freeze` pins the result,")
print("# and the files pip downloads for CPython 3.11 on linux x86_64 (the python:3.11 slim image) are hashed.")
print()
for line in sorted((work / "frozen.txt").read_text().split(), key=lambda l: norm(l.split("==")[0])):
    name = line.split("==")[0]
    hashes = [hashlib.sha256(p.read_bytes()).hexdigest() for p in files[norm(name)]]
    print(line + " \\")
    print(" \\\n".join(f"    --hash=sha256:{h}" for h in hashes))
PY
echo "requirements.lock: $(grep -c '==' requirements.lock) packages"
