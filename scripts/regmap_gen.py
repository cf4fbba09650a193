#!/usr/bin/env python3
"""Generate the line module's register map outputs from the one YAML source.

    regmap_gen.py SOURCE.yaml OUTDIR

writes OUTDIR/lm_regs.vh (Verilog `defines), OUTDIR/lm_regs.hpp (C++ constants, enums and
static_asserts) and OUTDIR/regs.md (reference page). The source is validated first: overlapping
fields or registers, values too wide for their enum, misaligned or out-of-span registers are
errors that name the offending entry, and nothing is written.
"""

import re
import sys
from pathlib import Path

import yaml

HEADER_REGS = [
    {"name": "TYPE", "offset": 0x0, "access": "ro", "doc": "block type identifier"},
    {"name": "VERSION", "offset": 0x4, "access": "ro", "doc": "block version, major.minor.patch in bytes 2,1,0"},
    {"name": "NEXT", "offset": 0x8, "access": "ro", "doc": "byte offset of the next block; 0 ends the chain"},
]
ACCESS = {"ro", "rw", "rc", "w1c", "wo"}


class RegmapError(Exception):
    pass


def parse_bits(spec, where):
    """'31:24' -> (lsb=24, width=8); '5' -> (5, 1)."""
    spec = str(spec)
    m = re.fullmatch(r"\s*(\d+)\s*(?::\s*(\d+)\s*)?", spec)
    if not m:
        raise RegmapError(f"{where}: bad bit range '{spec}'")
    msb = int(m.group(1))
    lsb = int(m.group(2)) if m.group(2) is not None else msb
    if msb < lsb or msb > 31:
        raise RegmapError(f"{where}: bit range '{spec}' must be msb:lsb within 31:0")
    return lsb, msb - lsb + 1


def camel(name):
    """AES_CBC_128 -> AesCbc128."""
    return "".join(p[:1].upper() + p[1:].lower() for p in name.split("_"))


def check_name(name, where):
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", str(name)):
        raise RegmapError(f"{where}: bad name '{name}'")


def load(path):
    with open(path, encoding="utf-8") as f:
        src = yaml.safe_load(f)
    for key in ("name", "version", "enums", "sa_entry", "sa_stats", "blocks"):
        if key not in src:
            raise RegmapError(f"{path}: missing top-level key '{key}'")
    validate(src)
    return src


def validate_enums(enums):
    for ename, e in enums.items():
        check_name(ename, f"enum {ename}")
        width = e["width"]
        seen_names, seen_values = set(), set()
        for v in e["values"]:
            where = f"enum {ename}.{v.get('name')}"
            check_name(v["name"], where)
            if v["name"] in seen_names:
                raise RegmapError(f"{where}: duplicate name")
            if v["value"] in seen_values:
                raise RegmapError(f"{where}: duplicate value {v['value']}")
            if not 0 <= v["value"] < (1 << width):
                raise RegmapError(f"{where}: value {v['value']} does not fit in {width} bits")
            seen_names.add(v["name"])
            seen_values.add(v["value"])


def layout_fields(layout, lname, enums):
    """Resolve each field of an SA-table style layout into word/lsb/width/words and check overlaps."""
    used = {}
    for f in layout["fields"]:
        where = f"{lname}.{f.get('name')}"
        check_name(f["name"], where)
        if "words" in f:
            f["lsb"], f["width"], f["nwords"] = 0, 32, int(f["words"])
        else:
            f["lsb"], f["width"] = parse_bits(f["bits"], where)
            f["nwords"] = 1
        if "enum" in f:
            if f["enum"] not in enums:
                raise RegmapError(f"{where}: unknown enum '{f['enum']}'")
            if enums[f["enum"]]["width"] != f["width"]:
                raise RegmapError(f"{where}: {f['width']} bits but enum {f['enum']} is {enums[f['enum']]['width']}")
        for w in range(f["word"], f["word"] + f["nwords"]):
            if w >= layout["words"]:
                raise RegmapError(f"{where}: word {w} beyond the {layout['words']}-word layout")
            for b in range(f["lsb"], f["lsb"] + f["width"]):
                if (w, b) in used:
                    raise RegmapError(f"{where}: word {w} bit {b} already used by {used[(w, b)]}")
                used[(w, b)] = f["name"]


def validate(src):
    validate_enums(src["enums"])
    sa = src["sa_entry"]
    if sa["words"] > sa["stride_words"]:
        raise RegmapError("sa_entry: words exceed stride_words")
    layout_fields(sa, "sa_entry", src["enums"])
    layout_fields(src["sa_stats"], "sa_stats", src["enums"])

    blocks = src["blocks"]
    spans = []
    for i, blk in enumerate(blocks):
        bname = blk["name"]
        check_name(bname, f"block {bname}")
        if blk["base"] % blk["span"] != 0:
            raise RegmapError(f"block {bname}: base 0x{blk['base']:x} not aligned to its span")
        spans.append((blk["base"], blk["base"] + blk["span"], bname))
        blk["regs"] = [dict(r) for r in HEADER_REGS] + blk["regs"]
        blk["next"] = blocks[i + 1]["base"] if i + 1 < len(blocks) else 0
        used = {}
        for r in blk["regs"]:
            where = f"{bname}.{r.get('name')}"
            check_name(r["name"], where)
            if r["access"] not in ACCESS:
                raise RegmapError(f"{where}: access '{r['access']}' not one of {sorted(ACCESS)}")
            if r["offset"] % 4:
                raise RegmapError(f"{where}: offset 0x{r['offset']:x} not word aligned")
            r.setdefault("count", 1)
            for k in range(r["count"]):
                off = r["offset"] + 4 * k
                if off >= blk["span"]:
                    raise RegmapError(f"{where}: offset 0x{off:x} beyond the block span 0x{blk['span']:x}")
                if off in used:
                    raise RegmapError(f"{where}: offset 0x{off:x} already used by {used[off]}")
                used[off] = r["name"]
            fused = {}
            for fld in r.get("fields", []):
                fw = f"{where}.{fld.get('name')}"
                check_name(fld["name"], fw)
                fld["lsb"], fld["width"] = parse_bits(fld["bits"], fw)
                for b in range(fld["lsb"], fld["lsb"] + fld["width"]):
                    if b in fused:
                        raise RegmapError(f"{fw}: bit {b} already used by {fused[b]}")
                    fused[b] = fld["name"]
    spans.sort()
    for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
        if b0 < a1:
            raise RegmapError(f"blocks {an} and {bn} overlap")
    if spans[0][0] != 0:
        raise RegmapError("the first block must sit at offset 0 so software can find the chain")
    if blocks[0]["base"] != 0:
        raise RegmapError("the block at offset 0 must come first in the chain")
    order = [b["base"] for b in blocks]
    if order != sorted(order):
        raise RegmapError("blocks must be listed in address order")


# ------------------------------------------------------------------------------------------------
# Verilog


def gen_vh(src):
    out = []
    w = out.append
    w("// Generated from rtl/regmap/lm_regmap.yaml by scripts/regmap_gen.py. Do not edit.")
    w("`ifndef LM_REGS_VH")
    w("`define LM_REGS_VH")
    w("")
    w(f"`define LM_REGMAP_VERSION 32'h{src['version']:08x}")
    w(f"`define LM_ADDR_WIDTH {src['addr_width']}")
    w("")
    for ename, e in src["enums"].items():
        E = ename.upper()
        w(f"// enum {ename}: {e['doc']}")
        w(f"`define LM_{E}_W {e['width']}")
        for v in e["values"]:
            w(f"`define LM_{E}_{v['name']} {e['width']}'d{v['value']}")
        w("")
    for lname, prefix in (("sa_entry", "LM_SA"), ("sa_stats", "LM_SA_STATS")):
        lay = src[lname]
        w(f"// {lname} layout")
        w(f"`define {prefix}_WORDS {lay['words']}")
        if "stride_words" in lay:
            w(f"`define {prefix}_STRIDE_WORDS {lay['stride_words']}")
            w(f"`define {prefix}_CAPACITY {lay['capacity']}")
        for f in lay["fields"]:
            w(f"`define {prefix}_{f['name']}_WORD {f['word']}")
            if f["nwords"] > 1:
                w(f"`define {prefix}_{f['name']}_NWORDS {f['nwords']}")
            else:
                w(f"`define {prefix}_{f['name']}_LSB {f['lsb']}")
                w(f"`define {prefix}_{f['name']}_W {f['width']}")
        w("")
    aw = src["addr_width"]
    for blk in src["blocks"]:
        B = blk["name"].upper()
        w(f"// block {blk['name']}: {blk['doc']}")
        w(f"`define LM_{B}_BASE {aw}'h{blk['base']:04x}")
        w(f"`define LM_{B}_SPAN {aw}'h{blk['span']:04x}")
        w(f"`define LM_{B}_TYPE_ID 32'h{blk['type']:08x}")
        w(f"`define LM_{B}_VERSION_ID 32'h{blk['version']:08x}")
        w(f"`define LM_{B}_NEXT_PTR 32'h{blk['next']:08x}")
        for r in blk["regs"]:
            w(f"`define LM_ADDR_{B}_{r['name']} {aw}'h{blk['base'] + r['offset']:04x}")
            if r["count"] > 1:
                w(f"`define LM_{B}_{r['name']}_COUNT {r['count']}")
            for fld in r.get("fields", []):
                w(f"`define LM_{B}_{r['name']}_{fld['name']}_LSB {fld['lsb']}")
                w(f"`define LM_{B}_{r['name']}_{fld['name']}_W {fld['width']}")
        w("")
    w("`endif  // LM_REGS_VH")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------
# C++


def cpp_str(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def gen_hpp(src):
    out = []
    w = out.append
    w("// Generated from rtl/regmap/lm_regmap.yaml by scripts/regmap_gen.py. Do not edit.")
    w("#pragma once")
    w("")
    w("#include <array>")
    w("#include <cstdint>")
    w("#include <string_view>")
    w("")
    w("namespace l2sec::lm {")
    w("")
    w(f"inline constexpr std::uint32_t kRegmapVersion = 0x{src['version']:08x};")
    w(f"inline constexpr unsigned kAddrWidth = {src['addr_width']};")
    w("")
    w("// A bit field inside one 32-bit word.")
    w("struct BitField {")
    w("  unsigned lsb;")
    w("  unsigned width;")
    w("  constexpr std::uint32_t mask() const {")
    w("    return width >= 32 ? 0xffffffffu : ((1u << width) - 1u) << lsb;")
    w("  }")
    w("  constexpr std::uint32_t get(std::uint32_t word) const { return (word & mask()) >> lsb; }")
    w("  constexpr std::uint32_t set(std::uint32_t word, std::uint32_t value) const {")
    w("    return (word & ~mask()) | ((value << lsb) & mask());")
    w("  }")
    w("};")
    w("")
    w("// A field of a word-array layout (SA entry, SA stats): one bit field, or whole words.")
    w("struct LayoutField {")
    w("  std::string_view name;")
    w("  unsigned word;")
    w("  unsigned lsb;")
    w("  unsigned width;")
    w("  unsigned words;")
    w("  constexpr BitField bits() const { return BitField{lsb, width}; }")
    w("};")
    w("")
    w("// True when no two fields share a bit and every field fits in the layout.")
    w("template <std::size_t N>")
    w("constexpr bool layout_ok(const std::array<LayoutField, N>& fields, unsigned layout_words) {")
    w("  for (std::size_t i = 0; i < N; ++i) {")
    w("    const auto& a = fields[i];")
    w("    if (a.width == 0 || a.lsb + a.width > 32 || a.word + a.words > layout_words) return false;")
    w("    for (std::size_t j = i + 1; j < N; ++j) {")
    w("      const auto& b = fields[j];")
    w("      const bool words_meet = a.word < b.word + b.words && b.word < a.word + a.words;")
    w("      const bool bits_meet = a.lsb < b.lsb + b.width && b.lsb < a.lsb + a.width;")
    w("      if (words_meet && bits_meet) return false;")
    w("    }")
    w("  }")
    w("  return true;")
    w("}")
    w("")

    for ename, e in src["enums"].items():
        T = camel(ename)
        ut = "std::uint8_t" if e["width"] <= 8 else "std::uint16_t"
        w(f"// {e['doc']}")
        w(f"enum class {T} : {ut} {{")
        for v in e["values"]:
            w(f"  k{camel(v['name'])} = {v['value']},  // {v['doc']}")
        w("};")
        w(f"inline constexpr unsigned k{T}Width = {e['width']};")
        w(f"inline constexpr std::array<{T}, {len(e['values'])}> k{T}Values = {{")
        w("    " + ", ".join(f"{T}::k{camel(v['name'])}" for v in e["values"]) + "};")
        w(f"constexpr std::string_view to_string({T} v) {{")
        w("  switch (v) {")
        for v in e["values"]:
            w(f"    case {T}::k{camel(v['name'])}:")
            w(f"      return {cpp_str(v['name'])};")
        w("  }")
        w('  return "?";')
        w("}")
        for v in e["values"]:
            w(f"static_assert(static_cast<unsigned>({T}::k{camel(v['name'])}) < (1u << k{T}Width));")
        w("")

    for lname, ns in (("sa_entry", "sa_entry"), ("sa_stats", "sa_stats")):
        lay = src[lname]
        w(f"namespace {ns} {{")
        w(f"inline constexpr unsigned kWords = {lay['words']};")
        if "stride_words" in lay:
            w(f"inline constexpr unsigned kStrideWords = {lay['stride_words']};")
            w(f"inline constexpr unsigned kCapacity = {lay['capacity']};")
            w("static_assert(kWords <= kStrideWords);")
        for f in lay["fields"]:
            w(f"// {f.get('doc', f.get('enum', ''))}")
            w(f"inline constexpr LayoutField k{camel(f['name'])}{{{cpp_str(f['name'])}, {f['word']}, "
              f"{f['lsb']}, {f['width']}, {f['nwords']}}};")
            if "enum" in f:
                w(f"static_assert(k{camel(f['name'])}.width == k{camel(f['enum'])}Width);")
        w(f"inline constexpr std::array<LayoutField, {len(lay['fields'])}> kFields = {{")
        w("    " + ", ".join(f"k{camel(f['name'])}" for f in lay["fields"]) + "};")
        w("static_assert(layout_ok(kFields, kWords), \"fields overlap or overrun the layout\");")
        w(f"}}  // namespace {ns}")
        w("")

    w("// One self-describing register block.")
    w("struct BlockInfo {")
    w("  std::string_view name;")
    w("  std::uint32_t base;")
    w("  std::uint32_t span;")
    w("  std::uint32_t type_id;")
    w("  std::uint32_t version_id;")
    w("  std::uint32_t next_ptr;")
    w("};")
    w("")
    for blk in src["blocks"]:
        w(f"// {blk['doc']}")
        w(f"namespace {blk['name']} {{")
        w(f"inline constexpr std::uint32_t kBase = 0x{blk['base']:04x};")
        w(f"inline constexpr std::uint32_t kSpan = 0x{blk['span']:04x};")
        w(f"inline constexpr std::uint32_t kTypeId = 0x{blk['type']:08x};")
        w(f"inline constexpr std::uint32_t kVersionId = 0x{blk['version']:08x};")
        w(f"inline constexpr std::uint32_t kNextPtr = 0x{blk['next']:08x};")
        w(f"inline constexpr BlockInfo kInfo{{{cpp_str(blk['name'])}, kBase, kSpan, kTypeId, kVersionId, kNextPtr}};")
        for r in blk["regs"]:
            R = camel(r["name"])
            w(f"inline constexpr std::uint32_t k{R} = 0x{blk['base'] + r['offset']:04x};  // {r['access']}: {r.get('doc', '')}")
            if r["count"] > 1:
                w(f"inline constexpr unsigned k{R}Count = {r['count']};")
            fields = r.get("fields", [])
            if fields:
                w(f"namespace {r['name'].lower()} {{")
                for fld in fields:
                    w(f"inline constexpr BitField k{camel(fld['name'])}{{{fld['lsb']}, {fld['width']}}};")
                w(f"}}  // namespace {r['name'].lower()}")
            w(f"static_assert(k{R} >= kBase && k{R} + 4 * {r['count']} <= kBase + kSpan && k{R} % 4 == 0);")
        w(f"}}  // namespace {blk['name']}")
        w("")
    w(f"inline constexpr std::array<BlockInfo, {len(src['blocks'])}> kBlocks = {{")
    w("    " + ", ".join(f"{b['name']}::kInfo" for b in src["blocks"]) + "};")
    w("")
    w("}  // namespace l2sec::lm")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------
# Markdown


def md_cell(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def gen_md(src):
    out = []
    w = out.append
    w(f"# {src['title']} register map")
    w("")
    w("Generated from `rtl/regmap/lm_regmap.yaml` by `scripts/regmap_gen.py`; do not edit. "
      "The same source generates `lm_regs.vh` for the RTL and `lm_regs.hpp` for the C++ code.")
    w("")
    v = src["version"]
    w(f"Map version {(v >> 16) & 0xff}.{(v >> 8) & 0xff}.{v & 0xff}; {src['data_width']}-bit registers, "
      f"{src['addr_width']}-bit byte addresses. Every block starts with TYPE, VERSION and NEXT; "
      "software walks the chain from offset 0.")
    w("")
    w("## Blocks")
    w("")
    w("| block | base | span | type | version | next | what |")
    w("|---|---|---|---|---|---|---|")
    for b in src["blocks"]:
        tname = b["type"].to_bytes(4, "big").decode("ascii", "replace")
        w(f"| {b['name']} | 0x{b['base']:04x} | 0x{b['span']:x} | 0x{b['type']:08x} \"{tname}\" | "
          f"0x{b['version']:08x} | 0x{b['next']:04x} | {md_cell(b['doc'])} |")
    for b in src["blocks"]:
        w("")
        w(f"### {b['name']} (0x{b['base']:04x})")
        w("")
        w(md_cell(b["doc"]))
        w("")
        w("| address | register | access | fields | description |")
        w("|---|---|---|---|---|")
        for r in b["regs"]:
            addr = b["base"] + r["offset"]
            name = r["name"] + (f"[{r['count']}]" if r["count"] > 1 else "")
            span = f"0x{addr:04x}" + (f"..0x{addr + 4 * r['count'] - 1:04x}" if r["count"] > 1 else "")
            flds = "<br>".join(
                f"{f['name']} [{f['lsb'] + f['width'] - 1}:{f['lsb']}]" + (f": {md_cell(f['doc'])}" if f.get("doc") else "")
                for f in r.get("fields", []))
            w(f"| {span} | {name} | {r['access']} | {flds} | {md_cell(r.get('doc', ''))} |")
    for lname, title in (("sa_entry", "SA-table entry"), ("sa_stats", "Per-SA counters")):
        lay = src[lname]
        w("")
        w(f"## {title}")
        w("")
        extra = ""
        if "stride_words" in lay:
            extra = f", {lay['stride_words']}-word stride, {lay['capacity']} entries"
        w(f"{lay['words']} words of 32 bits{extra}.")
        w("")
        w("| word | bits | field | encoding | description |")
        w("|---|---|---|---|---|")
        for f in lay["fields"]:
            words = f"{f['word']}" if f["nwords"] == 1 else f"{f['word']}..{f['word'] + f['nwords'] - 1}"
            bits = f"{f['lsb'] + f['width'] - 1}:{f['lsb']}" if f["nwords"] == 1 else "31:0"
            w(f"| {words} | {bits} | {f['name']} | {f.get('enum', '')} | {md_cell(f.get('doc', ''))} |")
    w("")
    w("## Encodings")
    for ename, e in src["enums"].items():
        w("")
        w(f"### {ename} ({e['width']} bits)")
        w("")
        w(md_cell(e["doc"]))
        w("")
        w("| value | name | meaning |")
        w("|---|---|---|")
        for v in e["values"]:
            w(f"| {v['value']} | {v['name']} | {md_cell(v['doc'])} |")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        src = load(argv[1])
    except (RegmapError, KeyError, TypeError, yaml.YAMLError) as e:
        print(f"regmap_gen: {argv[1]}: {e}", file=sys.stderr)
        return 1
    outdir = Path(argv[2])
    outdir.mkdir(parents=True, exist_ok=True)
    for name, text in (("lm_regs.vh", gen_vh(src)), ("lm_regs.hpp", gen_hpp(src)), ("regs.md", gen_md(src))):
        path = outdir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
