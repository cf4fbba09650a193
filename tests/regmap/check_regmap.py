#!/usr/bin/env python3
"""Checks the generated register headers against the YAML source, independently of the generator.

    check_regmap.py SOURCE.yaml GENERATED_DIR DOCS_REGS_MD

Reads the YAML itself and parses lm_regs.vh and lm_regs.hpp back: every enum value, block
identity, register address, register field and SA-entry field in the source must appear in both
headers with the same value, and nothing may appear in the headers that the source lacks. The
committed docs/regs.md must equal the generated regs.md.
"""

import re
import sys
from pathlib import Path

import yaml


def bits(spec):
    spec = str(spec)
    if ":" in spec:
        msb, lsb = (int(x) for x in spec.split(":"))
    else:
        msb = lsb = int(spec)
    return lsb, msb - lsb + 1


def camel(name):
    return "".join(p[:1].upper() + p[1:].lower() for p in name.split("_"))


def main(src_path, gen_dir, doc_path):
    src = yaml.safe_load(Path(src_path).read_text())
    vh = Path(gen_dir, "lm_regs.vh").read_text()
    hpp = Path(gen_dir, "lm_regs.hpp").read_text()
    errors = []

    defines = {}
    for m in re.finditer(r"^`define (\w+) (.+)$", vh, re.M):
        val = m.group(2).strip()
        vm = re.fullmatch(r"(\d+)'([dh])([0-9a-fA-F]+)", val)
        if vm:
            defines[m.group(1)] = int(vm.group(3), 10 if vm.group(2) == "d" else 16)
        elif re.fullmatch(r"\d+", val):
            defines[m.group(1)] = int(val)
    used = set()

    def want_vh(name, value):
        used.add(name)
        if name not in defines:
            errors.append(f"lm_regs.vh lacks `{name}")
        elif defines[name] != value:
            errors.append(f"lm_regs.vh: {name} is {defines[name]:#x}, source says {value:#x}")

    def want_hpp(pattern, what):
        if not re.search(pattern, hpp, re.M):
            errors.append(f"lm_regs.hpp lacks {what}")

    want_vh("LM_REGMAP_VERSION", src["version"])
    for ename, e in src["enums"].items():
        E = ename.upper()
        want_vh(f"LM_{E}_W", e["width"])
        want_hpp(rf"k{camel(ename)}Width = {e['width']};", f"{ename} width")
        for v in e["values"]:
            want_vh(f"LM_{E}_{v['name']}", v["value"])
            want_hpp(rf"^\s*k{camel(v['name'])} = {v['value']},", f"{ename}.{v['name']} = {v['value']}")

    for lname, prefix in (("sa_entry", "LM_SA"), ("sa_stats", "LM_SA_STATS")):
        lay = src[lname]
        want_vh(f"{prefix}_WORDS", lay["words"])
        for f in lay["fields"]:
            want_vh(f"{prefix}_{f['name']}_WORD", f["word"])
            if "words" in f:
                want_vh(f"{prefix}_{f['name']}_NWORDS", f["words"])
                lsb, width, n = 0, 32, f["words"]
            else:
                lsb, width = bits(f["bits"])
                n = 1
                want_vh(f"{prefix}_{f['name']}_LSB", lsb)
                want_vh(f"{prefix}_{f['name']}_W", width)
            want_hpp(rf'k{camel(f["name"])}\{{"{f["name"]}", {f["word"]}, {lsb}, {width}, {n}\}};',
                     f"{lname}.{f['name']}")

    blocks = src["blocks"]
    for i, b in enumerate(blocks):
        B = b["name"].upper()
        nxt = blocks[i + 1]["base"] if i + 1 < len(blocks) else 0
        want_vh(f"LM_{B}_BASE", b["base"])
        want_vh(f"LM_{B}_SPAN", b["span"])
        want_vh(f"LM_{B}_TYPE_ID", b["type"])
        want_vh(f"LM_{B}_VERSION_ID", b["version"])
        want_vh(f"LM_{B}_NEXT_PTR", nxt)
        want_hpp(rf"namespace {b['name']} \{{\ninline constexpr std::uint32_t kBase = 0x{b['base']:04x};",
                 f"block {b['name']} base")
        want_hpp(rf"kTypeId = 0x{b['type']:08x};", f"block {b['name']} type")
        want_hpp(rf"kNextPtr = 0x{nxt:08x};", f"block {b['name']} next pointer")
        regs = [("TYPE", 0, []), ("VERSION", 4, []), ("NEXT", 8, [])]
        regs += [(r["name"], r["offset"], r.get("fields", [])) for r in b["regs"]]
        for name, off, fields in regs:
            want_vh(f"LM_ADDR_{B}_{name}", b["base"] + off)
            want_hpp(rf"k{camel(name)} = 0x{b['base'] + off:04x};", f"{b['name']}.{name}")
            for fld in fields:
                lsb, width = bits(fld["bits"])
                want_vh(f"LM_{B}_{name}_{fld['name']}_LSB", lsb)
                want_vh(f"LM_{B}_{name}_{fld['name']}_W", width)
                want_hpp(rf"k{camel(fld['name'])}\{{{lsb}, {width}\}};", f"{b['name']}.{name}.{fld['name']}")
        for r in b["regs"]:
            if r.get("count", 1) > 1:
                want_vh(f"LM_{B}_{r['name']}_COUNT", r["count"])

    for lname in ("sa_entry",):
        want_vh("LM_SA_STRIDE_WORDS", src[lname]["stride_words"])
        want_vh("LM_SA_CAPACITY", src[lname]["capacity"])
    want_vh("LM_ADDR_WIDTH", src["addr_width"])

    extra = sorted(set(defines) - used)
    if extra:
        errors.append(f"lm_regs.vh defines what the source lacks: {', '.join(extra)}")

    gen_md = Path(gen_dir, "regs.md").read_text()
    if not Path(doc_path).exists() or Path(doc_path).read_text() != gen_md:
        errors.append(f"{doc_path} is not the generated regs.md: copy {gen_dir}/regs.md over it")

    for e in errors:
        print("FAIL:", e)
    print(f"checked {len(used)} Verilog defines and the C++ header against {src_path}: "
          f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
