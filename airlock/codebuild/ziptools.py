"""Minimal `zip` and `unzip` for machines without them, on Python's zipfile (standard library only).

A build environment copies this file into its bin directory as `zip` and `unzip` when the
machine lacks them; the program's name picks the tool. They understand what build scripts
use: `zip [-r] [-q] [-j] [-0..-9] archive paths... [-x patterns...]` and
`unzip [-o] [-q] [-l] archive [members...] [-d directory]`.
"""

from __future__ import annotations

import fnmatch
import os
import sys
import zipfile
from pathlib import Path

USAGE_ZIP = "usage: zip [-r] [-q] [-j] [-0..-9] archive.zip paths... [-x patterns...]"
USAGE_UNZIP = "usage: unzip [-o] [-q] [-l] archive.zip [members...] [-d directory]"


def _entry_name(path: str, junk: bool) -> str:
    if junk:
        return os.path.basename(path.rstrip("/"))
    name = os.path.normpath(path).lstrip("/")
    return "" if name == "." else name


def zip_main(args: list[str]) -> int:
    """`zip`: add files (and with -r, directories' contents) to an archive, replacing entries."""
    recurse = quiet = junk = store = False
    excludes: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-x":
            excludes.extend(args[i + 1 :])
            break
        if arg.startswith("-") and len(arg) > 1:
            for flag in arg[1:]:
                if flag == "r":
                    recurse = True
                elif flag == "q":
                    quiet = True
                elif flag == "j":
                    junk = True
                elif flag == "0":
                    store = True
                elif flag.isdigit() or flag in "yX":
                    pass
                else:
                    print(f"zip: unsupported option -{flag}\n{USAGE_ZIP}", file=sys.stderr)
                    return 16
        else:
            positional.append(arg)
        i += 1
    if len(positional) < 2:
        print(f"zip error: Nothing to do!\n{USAGE_ZIP}", file=sys.stderr)
        return 12
    archive, paths = positional[0], positional[1:]
    if not archive.endswith(".zip") and not os.path.exists(archive):
        archive += ".zip"
    entries: dict[str, str | None] = {}  # entry name → file (None for a directory entry)
    for path in paths:
        if not os.path.lexists(path):
            print(f"zip warning: name not matched: {path}", file=sys.stderr)
            continue
        if os.path.isdir(path):
            top = _entry_name(path, junk)
            if top and not junk:
                entries[top + "/"] = None
            if not recurse:
                continue
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(dirs):
                    if not junk:
                        entries[_entry_name(os.path.join(root, name), False) + "/"] = None
                for name in sorted(files):
                    full = os.path.join(root, name)
                    entries[_entry_name(full, junk)] = full
        else:
            entries[_entry_name(path, junk)] = path
    entries = {
        name: file
        for name, file in entries.items()
        if name and not any(fnmatch.fnmatch(name.rstrip("/"), p) for p in excludes)
    }
    if not entries:
        print("zip error: Nothing to do!", file=sys.stderr)
        return 12
    archive_path = Path(archive).resolve()
    entries = {n: f for n, f in entries.items() if f is None or Path(f).resolve() != archive_path}
    temporary = archive + ".tmp"
    method = zipfile.ZIP_STORED if store else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(temporary, "w", compression=method) as out:
        if os.path.exists(archive):
            with zipfile.ZipFile(archive) as existing:
                for info in existing.infolist():
                    if info.filename not in entries:
                        out.writestr(info, existing.read(info))
        for name, file in entries.items():
            if file is None:
                out.writestr(zipfile.ZipInfo(name), b"")
            else:
                out.write(file, name)
            if not quiet:
                print(f"  adding: {name}")
    os.replace(temporary, archive)
    return 0


def unzip_main(args: list[str]) -> int:
    """`unzip`: extract an archive (or some members), keeping files' modes."""
    overwrite = quiet = listing = False
    directory = "."
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-d" and i + 1 < len(args):
            directory = args[i + 1]
            i += 2
            continue
        if arg.startswith("-") and len(arg) > 1:
            for flag in arg[1:]:
                if flag == "o":
                    overwrite = True
                elif flag == "q":
                    quiet = True
                elif flag == "l":
                    listing = True
                elif flag in "nu":
                    overwrite = False
                else:
                    print(f"unzip: unsupported option -{flag}\n{USAGE_UNZIP}", file=sys.stderr)
                    return 10
        else:
            positional.append(arg)
        i += 1
    if not positional:
        print(USAGE_UNZIP, file=sys.stderr)
        return 10
    archive, members = positional[0], positional[1:]
    if not os.path.exists(archive) and os.path.exists(archive + ".zip"):
        archive += ".zip"
    try:
        source = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as error:
        print(f"unzip: cannot find or open {archive}: {error}", file=sys.stderr)
        return 9
    with source:
        infos = [
            info
            for info in source.infolist()
            if not members or any(fnmatch.fnmatch(info.filename, m) for m in members)
        ]
        if members and not infos:
            print(f"caution: filename not matched: {' '.join(members)}", file=sys.stderr)
            return 11
        if listing:
            for info in infos:
                print(f"{info.file_size:>9}  {info.filename}")
            return 0
        if not quiet:
            print(f"Archive:  {archive}")
        for info in infos:
            target = Path(directory) / info.filename
            if target.exists() and not info.is_dir() and not overwrite:
                print(f"skipping: {info.filename} already exists (use -o)", file=sys.stderr)
                continue
            extracted = source.extract(info, directory)
            mode = (info.external_attr >> 16) & 0o7777
            if mode and not info.is_dir():
                os.chmod(extracted, mode)
            if not quiet:
                print(f"  inflating: {extracted}")
    return 0


def main(argv: list[str]) -> int:
    """Run as `zip` or `unzip`, by the program's name (or a first argument naming the tool)."""
    tool = os.path.basename(argv[0])
    args = argv[1:]
    if tool not in ("zip", "unzip") and args and args[0] in ("zip", "unzip"):
        tool, args = args[0], args[1:]
    if tool == "zip":
        return zip_main(args)
    if tool == "unzip":
        return unzip_main(args)
    print("run as zip or unzip", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
