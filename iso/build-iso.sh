#!/bin/bash
# build-iso.sh — makes the nodeconsole installation ISO from a stock EL DVD ISO
# (RHEL / Rocky / AlmaLinux / Oracle Linux 8 or 9, x86_64).
#
#   iso/build-iso.sh --iso Rocky-9.4-x86_64-dvd.iso --rpms DIR --out nodeconsole.iso \
#       [--cloud-installer zstack-installer.bin [--cloud-installer-args "-a"]] \
#       [--allow-missing]
#
# What it does (the medium stays offline-installable, no network needed):
#   * /nodeconsole on the ISO: an RPM repository made (createrepo_c) from
#     --rpms DIR, which must hold the nodeconsole RPM (`make rpm`) and what
#     the kickstarts need beyond the DVD: rabbitmq-server (management),
#     kernel-uek and ocfs2-tools (storage); their dependencies too.
#   * /nodeconsole/cloud/installer.bin (+ args.env): the control plane
#     installer, run at the first boot of a management node.
#   * /ks/{management,compute,storage,expert}.ks from iso/ks/.
#   * Four boot menu entries, first in both the UEFI (grub.cfg, also inside
#     images/efiboot.img) and the BIOS (isolinux.cfg) menus, each booting the
#     installer with inst.ks=hd:LABEL=<volume id>:/ks/<mode>.ks.
#   * The volume id and the El Torito boot records of the stock ISO are kept
#     (xorriso -boot_image any replay), so inst.stage2=hd:LABEL=... still
#     finds the medium.
# Needs: xorriso, createrepo_c, mtools (mcopy, mdir); implantisomd5 (isomd5sum)
# when present, so the installer's media check works.
#
# For ONE mode only, lorax's mkksiso does the same job on an EL host:
#   mkksiso --ks iso/ks/compute.ks --add REPO_DIR_NAMED_nodeconsole IN.iso OUT.iso
#
# Not run in CI (it needs a multi-GB vendor ISO); see docs/install.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
iso="" rpms="" out="" installer="" installer_args="" allow_missing=0
die() { echo "build-iso.sh: $*" >&2; exit 1; }
usage() { sed -n '2,12p' "$0" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --iso) iso=${2:?}; shift 2 ;;
        --rpms) rpms=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        --cloud-installer) installer=${2:?}; shift 2 ;;
        --cloud-installer-args) installer_args=${2?}; shift 2 ;;
        --allow-missing) allow_missing=1; shift ;;
        -h|--help) usage ;;
        *) echo "build-iso.sh: unknown argument $1" >&2; usage ;;
    esac
done
[ -n "$iso" ] && [ -n "$rpms" ] && [ -n "$out" ] || usage
[ -r "$iso" ] || die "cannot read the stock ISO $iso"
[ -d "$rpms" ] || die "--rpms $rpms is not a directory"
[ -z "$installer" ] || [ -r "$installer" ] || die "cannot read the cloud installer $installer"
case "$installer_args" in *"'"*|*'"'*|*'$'*|*'`'*|*'\'*)
    die "--cloud-installer-args: quotes, \$, \` and \\ are not allowed (the args are split on blanks)" ;;
esac
[ -e "$out" ] && die "$out exists; remove it first"
for tool in xorriso createrepo_c mcopy mdir; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (packages: xorriso, createrepo-c / createrepo_c, mtools)"
done

# What the kickstarts install that a stock DVD does not carry.
have() { compgen -G "$rpms/$1" >/dev/null; }
have 'nodeconsole-[0-9]*.rpm' || die "no nodeconsole RPM in $rpms (run: make rpm)"
missing=""
have 'rabbitmq-server-[0-9]*.rpm' || missing="$missing rabbitmq-server"
have 'kernel-uek-[0-9]*.rpm' || missing="$missing kernel-uek"
have 'ocfs2-tools-[0-9]*.rpm' || missing="$missing ocfs2-tools"
if [ -n "$missing" ]; then
    msg="not in $rpms:$missing (management needs rabbitmq-server, storage kernel-uek and ocfs2-tools)"
    [ "$allow_missing" = 1 ] || die "$msg; add them, or pass --allow-missing to build anyway"
    echo "build-iso.sh: WARNING: $msg; those modes will fail to install" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

label=$(xorriso -indev "$iso" -pvd_info 2>/dev/null | sed -n 's/^Volume Id *: *//p' | head -n 1)
[ -n "$label" ] || die "cannot read the volume id of $iso"
echo "stock ISO volume id: $label"

mkdir -p "$work/nodeconsole" "$work/ks"
cp -- "$rpms"/*.rpm "$work/nodeconsole/"
if [ -n "$installer" ]; then
    mkdir -p "$work/nodeconsole/cloud"
    cp -- "$installer" "$work/nodeconsole/cloud/installer.bin"
    printf 'INSTALLER_ARGS=%s\n' "$installer_args" > "$work/nodeconsole/cloud/args.env"
fi
createrepo_c --quiet "$work/nodeconsole"
cp -- "$here"/ks/*.ks "$work/ks/"

# Pull the boot menus out of the stock ISO (each may be absent).
xorriso -osirrox on -indev "$iso" \
    -extract /EFI/BOOT/grub.cfg "$work/grub.cfg" \
    -extract /isolinux/isolinux.cfg "$work/isolinux.cfg" \
    -extract /images/efiboot.img "$work/efiboot.img" 2>/dev/null || true
[ -f "$work/grub.cfg" ] || [ -f "$work/isolinux.cfg" ] || die "$iso has neither EFI/BOOT/grub.cfg nor isolinux/isolinux.cfg: not an EL installer ISO?"

modes="management:Management node compute:Compute node storage:OCFS2 storage node expert:Expert mode (no console)"

# grub.cfg: four entries built from the first menuentry, put before it.
add_grub_entries() {
    awk -v modes="$modes" '
        function entries(   n, i, m, k, title, s) {
            n = split(modes, m, " ")
            s = ""
            # modes is "key:Title words key:Title ..."; rebuild the pairs.
            cnt = 0
            for (i = 1; i <= n; i++) {
                if (index(m[i], ":")) { cnt++; key[cnt] = substr(m[i], 1, index(m[i], ":") - 1); ttl[cnt] = substr(m[i], index(m[i], ":") + 1) }
                else ttl[cnt] = ttl[cnt] " " m[i]
            }
            for (k = 1; k <= cnt; k++) {
                s = s "menuentry '\''nodeconsole: " ttl[k] "'\'' --class fedora --class gnu-linux --class gnu --class os {\n"
                s = s "\t" kline " inst.ks=hd:LABEL=" lab ":/ks/" key[k] ".ks\n"
                s = s "\t" iline "\n}\n"
            }
            return s
        }
        !done && /^[ \t]*menuentry / { inblock = 1; buf = "" }
        inblock {
            buf = buf $0 "\n"
            if ($1 ~ /^linux/) { kline = $0; sub(/^[ \t]+/, "", kline); sub(/ rd\.live\.check/, "", kline)
                if (match(kline, /inst\.stage2=hd:LABEL=[^ ]+/)) lab = substr(kline, RSTART + 21, RLENGTH - 21) }
            if ($1 ~ /^initrd/) { iline = $0; sub(/^[ \t]+/, "", iline) }
            if ($0 ~ /^[ \t]*}/) {
                inblock = 0; done = 1
                if (lab == "") { print "build-iso.sh: no inst.stage2=hd:LABEL= in grub.cfg" > "/dev/stderr"; exit 3 }
                printf "%s%s", entries(), buf
            }
            next
        }
        /^set default=/ { print "set default=\"0\""; next }
        { print }
        END { if (!done) { print "build-iso.sh: no menuentry in grub.cfg" > "/dev/stderr"; exit 3 } }
    ' "$1" > "$1.new" && mv "$1.new" "$1"
}

# isolinux.cfg: four labels built from the first "label" stanza.
add_isolinux_entries() {
    awk -v modes="$modes" '
        function entries(   n, i, m, k, s) {
            n = split(modes, m, " "); cnt = 0
            for (i = 1; i <= n; i++) {
                if (index(m[i], ":")) { cnt++; key[cnt] = substr(m[i], 1, index(m[i], ":") - 1); ttl[cnt] = substr(m[i], index(m[i], ":") + 1) }
                else ttl[cnt] = ttl[cnt] " " m[i]
            }
            s = ""
            for (k = 1; k <= cnt; k++) {
                s = s "label nodeconsole-" key[k] "\n  menu label nodeconsole: ^" ttl[k] "\n"
                if (k == 1) s = s "  menu default\n"
                s = s "  " kern "\n  " app " inst.ks=hd:LABEL=" lab ":/ks/" key[k] ".ks\n\n"
            }
            return s
        }
        { lines[NR] = $0 }
        !first && /^label / { first = NR }
        first && !kern && $1 == "kernel" { kern = $0; sub(/^[ \t]+/, "", kern) }
        first && !app && $1 == "append" { app = $0; sub(/^[ \t]+/, "", app); sub(/ rd\.live\.check/, "", app)
            if (match(app, /inst\.stage2=hd:LABEL=[^ ]+/)) lab = substr(app, RSTART + 21, RLENGTH - 21) }
        END {
            if (!first || !kern || !app || lab == "") { print "build-iso.sh: isolinux.cfg has no usable label stanza" > "/dev/stderr"; exit 3 }
            for (i = 1; i < first; i++) print lines[i]
            printf "%s", entries()
            for (i = first; i <= NR; i++) if (lines[i] !~ /^[ \t]*menu default/) print lines[i]
        }
    ' "$1" > "$1.new" && mv "$1.new" "$1"
}

maps=(-map "$work/ks" /ks -map "$work/nodeconsole" /nodeconsole)
if [ -f "$work/grub.cfg" ]; then
    add_grub_entries "$work/grub.cfg"
    maps+=(-map "$work/grub.cfg" /EFI/BOOT/grub.cfg)
    # The UEFI El Torito image carries its own copy of grub.cfg.
    if [ -f "$work/efiboot.img" ] && mdir -i "$work/efiboot.img" ::/EFI/BOOT/grub.cfg >/dev/null 2>&1; then
        mcopy -o -i "$work/efiboot.img" "$work/grub.cfg" ::/EFI/BOOT/grub.cfg
        maps+=(-map "$work/efiboot.img" /images/efiboot.img)
    fi
fi
if [ -f "$work/isolinux.cfg" ]; then
    add_isolinux_entries "$work/isolinux.cfg"
    maps+=(-map "$work/isolinux.cfg" /isolinux/isolinux.cfg)
fi

xorriso -indev "$iso" -outdev "$out" -boot_image any replay "${maps[@]}" -end
if command -v implantisomd5 >/dev/null 2>&1; then
    implantisomd5 --force "$out" >/dev/null
else
    echo "build-iso.sh: implantisomd5 not found: the installer's media check (rd.live.check) will not work" >&2
fi
echo "wrote $out (volume id $label): boot menu entries nodeconsole: management / compute / storage / expert"
