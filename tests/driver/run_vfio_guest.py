#!/usr/bin/env python3
"""Boots the VFIO guest (scripts/build-vfio-guest.sh) and checks VfioDevice against QEMU's edu
device inside it: QEMU TCG, q35 with an emulated Intel IOMMU (interrupt remapping, split irqchip),
the edu device, no network. The guest init prints "L2SEC-RESULT step=value k=v ..." markers on the
serial console; this checks every step and prints the whole console when something failed.

  run_vfio_guest.py --image DIR [--build-script scripts/build-vfio-guest.sh --program PROG]
                    [--timeout 240] [--log FILE]

With --build-script the image is (re)built into DIR first (cached by the script).
Prints "vfio_edu_guest: PASS" on success; exit status 0/1.
"""
import argparse
import re
import selectors
import shutil
import subprocess
import sys
import time
from pathlib import Path

MARKER_RE = re.compile(r"L2SEC-RESULT (?P<step>[A-Za-z0-9_.-]+)=(?P<value>\S*)(?P<rest>.*)$")

# step -> the value it must have
EXPECTED = {
    "boot": "ok",
    "iommu": "ok",
    "unbound": "refused",
    "modules": "ok",
    "bind": "ok",
    "open": "ok",
    "second-open-refused": "ok",
    "ident": "ok",
    "liveness": "ok",
    "factorial": "ok",
    "irq": "ok",
    "dma-alloc": "ok",
    "dma": "ok",
    "dma-free": "ok",
    "rings-unsupported": "ok",
    "irq-intx": "ok",
    "vfio-edu": "PASS",
    "done": "ok",
}


def qemu_command(image: Path) -> list[str]:
    return [
        "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max",
        "-machine", "q35,kernel-irqchip=split", "-device", "intel-iommu,intremap=on",
        "-device", "edu", "-m", "512M", "-smp", "1", "-nographic", "-no-reboot",
        "-nic", "none", "-vga", "none",
        "-kernel", str(image / "vmlinuz"), "-initrd", str(image / "initramfs.cpio.gz"),
        "-append", "console=ttyS0 intel_iommu=on loglevel=4 panic=-1",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", required=True, type=Path)
    ap.add_argument("--build-script", type=Path)
    ap.add_argument("--program", type=Path)
    ap.add_argument("--timeout", type=float, default=240.0)
    ap.add_argument("--log", type=Path)
    args = ap.parse_args()

    if shutil.which("qemu-system-x86_64") is None:
        print("vfio_edu_guest: BLOCKED: qemu-system-x86_64 not installed (apt-get install qemu-system-x86)")
        return 1
    if args.build_script:
        cmd = [str(args.build_script), str(args.image)] + ([str(args.program)] if args.program else [])
        build = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        sys.stdout.write(build.stdout)
        if build.returncode != 0:
            print(f"vfio_edu_guest: BLOCKED: building the image failed (exit {build.returncode})")
            return 1

    cmd = qemu_command(args.image)
    print("vfio_edu_guest: " + " ".join(cmd), flush=True)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    console: list[str] = []
    results: dict[str, tuple[str, str]] = {}
    timed_out = False
    try:
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        buf = b""
        while True:
            left = args.timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                break
            if not sel.select(timeout=min(left, 1.0)):
                if proc.poll() is not None:
                    break
                continue
            chunk = proc.stdout.read1(65536)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace").rstrip("\r")
                console.append(line)
                m = MARKER_RE.search(line)
                if m:
                    results[m["step"]] = (m["value"], m["rest"].strip())
                    print(f"  [{time.monotonic() - start:6.1f} s] {m['step']}={m['value']} {m['rest'].strip()}",
                          flush=True)
            if "done" in results:
                break
        if buf:
            console.append(buf.decode(errors="replace"))
    finally:
        if proc.poll() is None:
            try:
                proc.wait(timeout=10)  # the guest powers off after "done"
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    elapsed = time.monotonic() - start
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text("\n".join(console) + "\n")

    problems = []
    if timed_out:
        problems.append(f"the guest did not finish within {args.timeout:.0f} s")
    for step, want in EXPECTED.items():
        got = results.get(step)
        if got is None:
            problems.append(f"{step}: no marker")
        elif got[0] != want:
            problems.append(f"{step}={got[0]} (want {want}) {got[1]}")
    if problems:
        print("vfio_edu_guest: console:")
        for line in console:
            print("  | " + line)
        first = next((p for p in problems if "no marker" not in p), problems[0])
        hw = next((line for line in console if line.startswith("qemu: hardware error")), None)
        if hw:
            first = hw  # QEMU itself stopped (the edu model's hw_error), say so first
        print(f"vfio_edu_guest: FAIL after {elapsed:.1f} s: {first}")
        for p in problems:
            print("  - " + p)
        return 1
    print(f"vfio_edu_guest: PASS in {elapsed:.1f} s ({len(EXPECTED)} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
