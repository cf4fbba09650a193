#!/usr/bin/env bash
# Builds the interop client guest: Debian's plain -amd64 kernel and an initramfs holding busybox,
# strongSwan (charon + swanctl + plugins), xl2tpd and pppd, the kernel modules the client needs
# (ESP, xfrm, L2TP, PPP, virtio-net, crypto) and the guest init from tests/interop/guest/.
#
#   scripts/build-guest.sh OUTDIR
#
# Produces OUTDIR/vmlinuz and OUTDIR/initramfs.cpio.gz (and OUTDIR/image.inputs, the fingerprint).
# Cached: when OUTDIR already holds an image built from the same inputs (kernel package and version,
# the client packages' versions, this script and the guest files) it does nothing. The kernel package
# is downloaded once into OUTDIR/cache with `apt-get download` (needs a Debian mirror); everything
# else comes from the packages scripts/setup-debian.sh installs on this machine. Needs no root.
# The per-run client configuration is not in the image: tests/interop/l2tp_client.py appends it as
# a second cpio archive at boot.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
OUT=$1
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GUEST_SRC=$SRC/tests/interop/guest
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
case "$OUT" in
  "$SRC"/scripts* | "$SRC"/tests* | "$SRC"/host* | "$SRC"/rtl* | "$SRC"/sim*)
    echo "build-guest: refusing to write into the source tree ($OUT)" >&2
    exit 2
    ;;
esac

t_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
step() { echo "build-guest: $*"; }

USERLAND_PKGS=(busybox-static strongswan-charon strongswan-swanctl libstrongswan
  libstrongswan-standard-plugins libcharon-extra-plugins strongswan-libcharon xl2tpd ppp libgcc-s1)
for tool in apt-get apt-cache dpkg depmod cpio gzip ldd; do
  command -v "$tool" >/dev/null || { echo "build-guest: $tool missing: run scripts/setup-debian.sh" >&2; exit 1; }
done

# --- the inputs' fingerprint ---------------------------------------------------------------
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$KPKG" ]; then
  echo "build-guest: cannot resolve the package linux-image-amd64 depends on (apt-get update?)" >&2
  exit 1
fi
KVER_PKG=$(apt-cache show --no-all-versions "$KPKG" | awk '/^Version:/ { print $2; exit }')
KREL=${KPKG#linux-image-}   # e.g. 6.1.0-56-amd64: the modules directory name
inputs() {
  echo "kernel $KPKG $KVER_PKG"
  for p in "${USERLAND_PKGS[@]}"; do
    v=$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)
    case "$v" in
      "install ok installed "*) echo "pkg $p ${v#install ok installed }" ;;
      *) echo "build-guest: package $p not installed: run scripts/setup-debian.sh" >&2; return 1 ;;
    esac
  done
  (cd "$SRC" && sha256sum scripts/build-guest.sh && find tests/interop/guest -type f | LC_ALL=C sort | xargs sha256sum)
}
FINGERPRINT=$(inputs)
if [ -f "$OUT/image.inputs" ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.cpio.gz" ] &&
  [ "$(cat "$OUT/image.inputs")" = "$FINGERPRINT" ]; then
  step "up to date ($KREL, $(du -h "$OUT/initramfs.cpio.gz" | cut -f1) initramfs) in $(elapsed "$t_start") s"
  exit 0
fi
rm -f "$OUT/image.inputs"

# --- kernel --------------------------------------------------------------------------------
t=$(date +%s.%N)
CACHE=$OUT/cache
mkdir -p "$CACHE"
DEB=$(ls "$CACHE"/"${KPKG}"_"${KVER_PKG//:/%3a}"_amd64.deb 2>/dev/null || true)
if [ -z "$DEB" ]; then
  rm -f "$CACHE"/linux-image-*.deb
  (cd "$CACHE" && apt-get download "$KPKG=$KVER_PKG" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  DEB=$(ls "$CACHE"/"${KPKG}"_*_amd64.deb 2>/dev/null | head -n1 || true)
  [ -n "$DEB" ] || { echo "build-guest: apt-get download $KPKG failed" >&2; exit 1; }
fi
KX=$OUT/work/kernel
rm -rf "$OUT/work"
mkdir -p "$KX"
dpkg -x "$DEB" "$KX"
[ -d "$KX/lib/modules/$KREL" ] || { echo "build-guest: $DEB has no lib/modules/$KREL" >&2; exit 1; }
step "kernel $KPKG $KVER_PKG fetched and unpacked in $(elapsed "$t") s"

# --- modules: the closure of what the client needs, and every crypto module ---------------
t=$(date +%s.%N)
depmod -b "$KX" "$KREL"
NEEDED=(virtio_pci virtio_net esp4 xfrm_user xfrm_algo authenc echainiv seqiv
  l2tp_ppp l2tp_netlink l2tp_core ppp_async ppp_generic ppp_deflate bsd_comp ppp_mppe slhc
  af_packet)
ROOT=$OUT/work/root
MODDIR=lib/modules/$KREL
mkdir -p "$ROOT/usr/lib/modules/$KREL"
{
  for m in "${NEEDED[@]}"; do
    # builtin modules print "builtin ..."; a module the kernel lacks is an error
    modprobe -d "$KX" -S "$KREL" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }' || true
    if ! grep -q "/$m.ko" "$KX/$MODDIR/modules.dep" && ! grep -q "/$m.ko" "$KX/$MODDIR/modules.builtin"; then
      echo "build-guest: module $m not in $KREL" >&2
      exit 1
    fi
  done
  # crypto templates and ciphers the kernel auto-loads while charon installs an SA
  find "$KX/$MODDIR/kernel/crypto" "$KX/$MODDIR/kernel/arch/x86/crypto" -name '*.ko*'
} | sort -u | while read -r f; do
  rel=${f#"$KX"/}
  mkdir -p "$ROOT/usr/$(dirname "$rel")"
  cp "$f" "$ROOT/usr/$rel"
  # the crypto modules' own dependencies
  modprobe -d "$KX" -S "$KREL" --show-depends "$(basename "${f%%.ko*}")" 2>/dev/null |
    awk '$1 == "insmod" { print $2 }' | while read -r d; do
      drel=${d#"$KX"/}
      mkdir -p "$ROOT/usr/$(dirname "$drel")"
      cp -n "$d" "$ROOT/usr/$drel"
    done
done
cp "$KX/$MODDIR/modules.builtin" "$KX/$MODDIR/modules.builtin.modinfo" "$KX/$MODDIR/modules.order" \
  "$ROOT/usr/$MODDIR/"
# depmod looks under ROOT/lib/modules: point it at the usr-merged tree
ln -s usr/lib "$ROOT/lib"
depmod -b "$ROOT" "$KREL"
cp "$KX"/boot/vmlinuz-* "$OUT/vmlinuz.new"
nmods=$(find "$ROOT/usr/$MODDIR" -name '*.ko*' | wc -l)
step "$nmods modules, $(du -sh "$ROOT/usr/$MODDIR" | cut -f1), depmod done in $(elapsed "$t") s"

# --- userland ------------------------------------------------------------------------------
t=$(date +%s.%N)
ln -s usr/lib64 "$ROOT/lib64"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,usr/lib64,usr/lib/x86_64-linux-gnu,etc,proc,sys,dev,tmp,run,var/log,var/lock}
ln -s ../run "$ROOT/var/run"
cp /bin/busybox "$ROOT/bin/busybox"
"$ROOT/bin/busybox" --list-full | while read -r a; do
  [ -e "$ROOT/$a" ] || [ -L "$ROOT/$a" ] || ln -s /bin/busybox "$ROOT/$a"
done
[ -e "$ROOT/bin/modprobe" ] || ln -s /bin/busybox "$ROOT/bin/modprobe"

# a file and the libraries ldd resolves for it, at the same paths (lib dirs folded into /usr)
copy_file() {
  local src=$1 dst
  case "$src" in
    /lib/*) dst=/usr$src ;;
    /lib64/*) dst=/usr$src ;;
    *) dst=$src ;;
  esac
  [ -e "$ROOT$dst" ] && return 0
  mkdir -p "$ROOT$(dirname "$dst")"
  cp -L "$src" "$ROOT$dst"
}
copy_with_libs() {
  local f lib
  for f in "$@"; do
    copy_file "$f"
    ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
      copy_file "$lib"
    done
  done
}
BINS=(/usr/lib/ipsec/charon /usr/sbin/swanctl /usr/sbin/xl2tpd /usr/sbin/xl2tpd-control /usr/sbin/pppd)
mapfile -t PLUGINS < <(find /usr/lib/ipsec/plugins -name '*.so')
mapfile -t PPP_PLUGINS < <(find /usr/lib/pppd -name '*.so')
# strongSwan's own libraries (/usr/lib/ipsec/lib*.so.0) come in through the plugins' ldd
copy_with_libs "${BINS[@]}" "${PLUGINS[@]}" "${PPP_PLUGINS[@]}"
copy_with_libs "$(dpkg -L libgcc-s1 | grep '/libgcc_s.so.1$' | head -n1)"
cp /usr/lib/ipsec/_updown "$ROOT/usr/lib/ipsec/" 2>/dev/null || true
cp /etc/strongswan.conf "$ROOT/etc/"
cp -r /etc/strongswan.d "$ROOT/etc/"
mkdir -p "$ROOT"/etc/swanctl/{conf.d,x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,pubkey,bliss,private,rsa,ecdsa,pkcs8,pkcs12} "$ROOT"/etc/ppp \
  "$ROOT"/etc/xl2tpd "$ROOT"/run/xl2tpd
: >"$ROOT/etc/ppp/options"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\n' >"$ROOT/etc/group"
printf 'ipsec-nat-t\t4500/udp\nisakmp\t\t500/udp\nl2tp\t\t1701/udp\n' >"$ROOT/etc/services"
printf '127.0.0.1 localhost\n' >"$ROOT/etc/hosts"
# the guest's own files: init, strongSwan logging, helpers
cp "$GUEST_SRC/init" "$ROOT/init"
chmod 755 "$ROOT/init"
cp "$GUEST_SRC/strongswan-l2sec.conf" "$ROOT/etc/strongswan.d/zz-l2sec.conf"
step "userland: $(find "$ROOT" -type f | wc -l) files, $(du -sh "$ROOT" | cut -f1) unpacked in $(elapsed "$t") s"

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
