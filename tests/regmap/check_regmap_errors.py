#!/usr/bin/env python3
"""The register-map generator must refuse broken maps, name the entry, and write nothing.

    check_regmap_errors.py regmap_gen.py SOURCE.yaml
"""

import copy
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml


def mutations(src):
    def m(desc, expect, fn):
        s = copy.deepcopy(src)
        fn(s)
        return desc, expect, s

    yield m("overlapping SA fields", "already used by", lambda s: s["sa_entry"]["fields"][6].update(bits="16:12"))
    yield m("enum value too wide", "does not fit", lambda s: s["enums"]["cipher"]["values"].append(
        {"name": "HUGE", "value": 99, "doc": "x"}))
    yield m("duplicate enum value", "duplicate value", lambda s: s["enums"]["integ"]["values"].append(
        {"name": "AGAIN", "value": 1, "doc": "x"}))
    yield m("misaligned register", "not word aligned", lambda s: s["blocks"][1]["regs"][0].update(offset=0x11))
    yield m("register beyond span", "beyond the block span", lambda s: s["blocks"][1]["regs"][0].update(offset=0x400))
    yield m("register on a header word", "already used by", lambda s: s["blocks"][1]["regs"][0].update(offset=0x4))
    yield m("overlapping blocks", "overlap", lambda s: s["blocks"][3].update(base=0x200))
    yield m("field wider than enum", "enum cipher", lambda s: s["sa_entry"]["fields"][3].update(bits="7:4"))
    yield m("field beyond the entry", "beyond the", lambda s: s["sa_entry"]["fields"][-1].update(word=60))
    yield m("bad bit range", "bad bit range", lambda s: s["sa_entry"]["fields"][0].update(bits="x"))


def main(gen, src_path):
    src = yaml.safe_load(Path(src_path).read_text())
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for desc, expect, bad in mutations(src):
            path = Path(tmp, "bad.yaml")
            path.write_text(yaml.safe_dump(bad))
            out = Path(tmp, "out")
            p = subprocess.run([sys.executable, gen, str(path), str(out)], capture_output=True, text=True)
            ok = p.returncode == 1 and expect in p.stderr and not out.exists()
            print(("ok  " if ok else "FAIL"), desc, "->", p.stderr.strip() or f"exit {p.returncode}")
            failures += not ok
        p = subprocess.run([sys.executable, gen, src_path, str(Path(tmp, "good"))], capture_output=True, text=True)
        if p.returncode != 0:
            print("FAIL the real map was refused:", p.stderr)
            failures += 1
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
