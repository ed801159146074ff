#!/usr/bin/env python3
"""Make libLibTorchSharp.so's requirement of GLIBCXX_3.4.32 optional, in a build output's copy.

Why: TorchSharp 0.107's native glue library is linked against GCC 13's libstdc++ and so asks for the symbol
version GLIBCXX_3.4.32, while Debian 12's libstdc++ stops at GLIBCXX_3.4.30. The only symbol bound to that version
is std::ios_base_library_init(), a marker GCC 13 references so that such a binary demands a new enough libstdc++;
it is never called. The dynamic loader still refuses the whole library, and TorchSharp reports that as a misleading
"no reference to libtorch-cpu-linux-x64". Setting VER_FLG_WEAK in the vna_flags of that one Vernaux entry of
.gnu.version_r turns the missing version into a warning the loader does not print; the marker stays unresolved and,
being a lazily bound function that nothing calls, does no harm. Of the libraries TorchSharp-cpu 0.107 ships, only
libLibTorchSharp.so asks for anything newer than Debian 12 provides (check with `readelf -V`).

The file is rewritten through a new file and a rename, so a hard link into the NuGet cache is never modified. The
script refuses if any other symbol is bound to the version, and does nothing if the flag is already set.

    weaken_glibcxx.py PATH/libLibTorchSharp.so [--version GLIBCXX_3.4.32]
"""

import argparse
import os
import struct
import sys
import tempfile

SHT_GNU_VERNEED = 0x6FFFFFFE
SHT_GNU_VERSYM = 0x6FFFFFFF
SHT_DYNSYM = 11
VER_FLG_WEAK = 0x2
# The symbols known to be bound to a version that only marks the libstdc++ a binary was linked against.
MARKERS = {"_ZSt21ios_base_library_initv"}


def sections(data):
    """(sh_type, sh_link, sh_offset, sh_size, sh_entsize) of each section of a little-endian ELF64 file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a little-endian 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    result = []
    for i in range(shnum):
        _, sh_type, _, _, offset, size, link, _, _, entsize = struct.unpack_from(
            "<IIQQQQIIQQ", data, shoff + i * shentsize)
        result.append((sh_type, link, offset, size, entsize))
    return result


def cstring(data, offset):
    return data[offset:data.index(b"\0", offset)].decode()


def find_vernaux(data, secs, version):
    """Offset of the Vernaux entry naming `version`, and its version index (vna_other); None if absent."""
    for sh_type, link, offset, _, _ in secs:
        if sh_type != SHT_GNU_VERNEED:
            continue
        strtab = secs[link][2]
        need = offset
        while True:
            _, count, _, aux, next_need = struct.unpack_from("<HHIII", data, need)
            entry = need + aux
            for _ in range(count):
                _, _, other, name, next_aux = struct.unpack_from("<IHHII", data, entry)
                if cstring(data, strtab + name) == version:
                    return entry, other
                entry += next_aux
            if next_need == 0:
                break
            need += next_need
    return None


def symbols_with_version(data, secs, index):
    """Names of the dynamic symbols whose .gnu.version entry is `index` (hidden bit ignored)."""
    versym = next(s for s in secs if s[0] == SHT_GNU_VERSYM)
    dynsym = next(s for s in secs if s[0] == SHT_DYNSYM)
    strtab = secs[dynsym[1]][2]
    names = []
    for i in range(dynsym[3] // dynsym[4]):
        v, = struct.unpack_from("<H", data, versym[2] + 2 * i)
        if v & 0x7FFF == index:
            name, = struct.unpack_from("<I", data, dynsym[2] + i * dynsym[4])
            names.append(cstring(data, strtab + name))
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library")
    ap.add_argument("--version", default="GLIBCXX_3.4.32")
    args = ap.parse_args()

    with open(args.library, "rb") as f:
        data = bytearray(f.read())
    secs = sections(data)
    found = find_vernaux(data, secs, args.version)
    if found is None:
        print("%s: no requirement of %s" % (args.library, args.version))
        return 0
    entry, index = found
    bound = symbols_with_version(data, secs, index)
    others = sorted(set(bound) - MARKERS)
    if others:
        print("%s: %s also binds %s; not patching" % (args.library, args.version, ", ".join(others)),
              file=sys.stderr)
        return 1
    flags, = struct.unpack_from("<H", data, entry + 4)
    if flags & VER_FLG_WEAK:
        print("%s: %s already optional" % (args.library, args.version))
        return 0
    struct.pack_into("<H", data, entry + 4, flags | VER_FLG_WEAK)
    folder = os.path.dirname(os.path.abspath(args.library))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".weaken-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(temporary, os.stat(args.library).st_mode & 0o7777)
    os.replace(temporary, args.library)
    print("%s: %s made optional (bound only by %s)" % (args.library, args.version, ", ".join(bound)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
