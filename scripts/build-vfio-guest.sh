#!/usr/bin/env bash
# Builds the VFIO guest: Debian's plain -amd64 kernel (the interop guest's, INTEROP.md "A real VFIO
# device in a guest") and a small initramfs holding busybox, the kernel's VFIO modules (irqbypass,
# vfio, vfio_iommu_type1, vfio_virqfd, vfio-pci-core, vfio-pci: modprobe --show-depends' closure),
# the statically linked l2sec-vfio-edu-test and the init from tests/driver/guest/.
#
#   scripts/build-vfio-guest.sh OUTDIR [PROGRAM]
#
# PROGRAM: the static l2sec-vfio-edu-test (CMake builds it: tests/driver); without it the script
# compiles one itself from driver/src and tests/driver/vfio_edu_test.cpp with g++ -static.
# Produces OUTDIR/vmlinuz and OUTDIR/initramfs.cpio.gz (and OUTDIR/image.inputs, the fingerprint).
# Cached: nothing is done when OUTDIR holds an image built from the same inputs. The kernel
# package is not downloaded again when it is already in OUTDIR/cache, in $L2SEC_KERNEL_CACHE or in
# the interop guest's cache (build*/guest/cache); otherwise `apt-get download` fetches it once into
# OUTDIR/cache. Needs no root.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUTDIR [PROGRAM]" >&2
  exit 2
fi
OUT=$1
PROGRAM=${2:-}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GUEST_SRC=$SRC/tests/driver/guest
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
case "$OUT" in
  "$SRC"/scripts* | "$SRC"/tests* | "$SRC"/driver* | "$SRC"/host* | "$SRC"/rtl* | "$SRC"/sim*)
    echo "build-vfio-guest: refusing to write into the source tree ($OUT)" >&2
    exit 2
    ;;
esac

t_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
step() { echo "build-vfio-guest: $*"; }

for tool in apt-get apt-cache dpkg depmod modprobe cpio gzip; do
  command -v "$tool" >/dev/null || { echo "build-vfio-guest: $tool missing: run scripts/setup-debian.sh" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "build-vfio-guest: /bin/busybox missing: apt-get install busybox-static" >&2; exit 1; }

# --- the test program ----------------------------------------------------------------------
if [ -z "$PROGRAM" ]; then
  t=$(date +%s.%N)
  PROGRAM=$OUT/l2sec-vfio-edu-test
  g++ -std=c++20 -O2 -static -I"$SRC/driver/include" -o "$PROGRAM.new" \
    "$SRC/driver/src/device.cpp" "$SRC/driver/src/vfio_device.cpp" "$SRC/tests/driver/vfio_edu_test.cpp"
  mv "$PROGRAM.new" "$PROGRAM"
  step "l2sec-vfio-edu-test compiled (g++ -static) in $(elapsed "$t") s"
fi
[ -x "$PROGRAM" ] || { echo "build-vfio-guest: $PROGRAM is not an executable" >&2; exit 1; }
if ! file "$PROGRAM" 2>/dev/null | grep -q 'statically linked' && ldd "$PROGRAM" >/dev/null 2>&1; then
  echo "build-vfio-guest: $PROGRAM is dynamically linked; the guest has no C++ library (link -static)" >&2
  exit 1
fi

# --- the inputs' fingerprint ---------------------------------------------------------------
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$KPKG" ]; then
  echo "build-vfio-guest: cannot resolve the package linux-image-amd64 depends on (apt-get update?)" >&2
  exit 1
fi
KVER_PKG=$(apt-cache show --no-all-versions "$KPKG" | awk '/^Version:/ { print $2; exit }')
KREL=${KPKG#linux-image-}
inputs() {
  echo "kernel $KPKG $KVER_PKG"
  echo "busybox $(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown)"
  echo "program $(sha256sum <"$PROGRAM" | cut -d' ' -f1)"
  (cd "$SRC" && sha256sum scripts/build-vfio-guest.sh && find tests/driver/guest -type f | LC_ALL=C sort | xargs sha256sum)
}
FINGERPRINT=$(inputs)
if [ -f "$OUT/image.inputs" ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.cpio.gz" ] &&
  [ "$(cat "$OUT/image.inputs")" = "$FINGERPRINT" ]; then
  step "up to date ($KREL, $(du -h "$OUT/initramfs.cpio.gz" | cut -f1) initramfs) in $(elapsed "$t_start") s"
  exit 0
fi
rm -f "$OUT/image.inputs"

# --- kernel: reuse a cached package --------------------------------------------------------
t=$(date +%s.%N)
DEB_NAME="${KPKG}_${KVER_PKG//:/%3a}_amd64.deb"
DEB=""
for dir in "$OUT/cache" ${L2SEC_KERNEL_CACHE:+"$L2SEC_KERNEL_CACHE"} "$SRC"/build/guest/cache "$SRC"/build*/guest/cache; do
  if [ -s "$dir/$DEB_NAME" ]; then
    DEB=$dir/$DEB_NAME
    break
  fi
done
if [ -z "$DEB" ]; then
  mkdir -p "$OUT/cache"
  (cd "$OUT/cache" && apt-get download "$KPKG=$KVER_PKG" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  DEB=$(ls "$OUT/cache/${KPKG}"_*_amd64.deb 2>/dev/null | head -n1 || true)
  [ -n "$DEB" ] || { echo "build-vfio-guest: apt-get download $KPKG failed" >&2; exit 1; }
fi
KX=$OUT/work/kernel
rm -rf "$OUT/work"
mkdir -p "$KX"
dpkg -x "$DEB" "$KX"
[ -d "$KX/lib/modules/$KREL" ] || { echo "build-vfio-guest: $DEB has no lib/modules/$KREL" >&2; exit 1; }
step "kernel $KPKG $KVER_PKG from $DEB unpacked in $(elapsed "$t") s"

# --- modules, in load order ----------------------------------------------------------------
t=$(date +%s.%N)
depmod -b "$KX" "$KREL"
ROOT=$OUT/work/root
MODDIR=lib/modules/$KREL
mkdir -p "$ROOT/$MODDIR"
: >"$ROOT/etc.modules.load"
# vfio_iommu_type1 is loaded on demand by vfio, not a symbol dependency: list it explicitly
for m in vfio vfio_iommu_type1 vfio_virqfd vfio-pci; do
  if ! modprobe -d "$KX" -S "$KREL" --show-depends "$m" >/dev/null 2>&1; then
    echo "build-vfio-guest: module $m not in $KREL" >&2
    exit 1
  fi
  modprobe -d "$KX" -S "$KREL" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r f; do
  cp "$f" "$ROOT/$MODDIR/"
  echo "/$MODDIR/$(basename "$f")" >>"$ROOT/etc.modules.load"
done
cp "$KX"/boot/vmlinuz-* "$OUT/vmlinuz.new"
step "$(wc -l <"$ROOT/etc.modules.load") modules: $(xargs -n1 basename <"$ROOT/etc.modules.load" | tr '\n' ' ')in $(elapsed "$t") s"

# --- userland ------------------------------------------------------------------------------
mkdir -p "$ROOT"/{bin,sbin,etc,proc,sys,dev,tmp}
mv "$ROOT/etc.modules.load" "$ROOT/etc/modules.load"
cp /bin/busybox "$ROOT/bin/busybox"
"$ROOT/bin/busybox" --list-full | while read -r a; do
  [ -e "$ROOT/$a" ] || [ -L "$ROOT/$a" ] || { mkdir -p "$ROOT/$(dirname "$a")"; ln -s /bin/busybox "$ROOT/$a"; }
done
cp "$PROGRAM" "$ROOT/bin/l2sec-vfio-edu-test"
chmod 755 "$ROOT/bin/l2sec-vfio-edu-test"
cp "$GUEST_SRC/init" "$ROOT/init"
chmod 755 "$ROOT/init"

# --- pack ----------------------------------------------------------------------------------
t=$(date +%s.%N)
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 -n >"$OUT/initramfs.cpio.gz.new"
mv "$OUT/vmlinuz.new" "$OUT/vmlinuz"
mv "$OUT/initramfs.cpio.gz.new" "$OUT/initramfs.cpio.gz"
echo "$KREL" >"$OUT/kernel.release"
rm -rf "$OUT/work"
echo "$FINGERPRINT" >"$OUT/image.inputs"
step "packed in $(elapsed "$t") s: vmlinuz $(du -h "$OUT/vmlinuz" | cut -f1), initramfs.cpio.gz $(du -h "$OUT/initramfs.cpio.gz" | cut -f1)"
step "image for $KREL built in $(elapsed "$t_start") s in $OUT"
