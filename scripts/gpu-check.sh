#!/usr/bin/env bash
# The GPU check (scripts/GPU.md says when and how to run it on the device machine).
#
#   scripts/gpu-check.sh pack [DIR] [--no-xz] [--no-vulkan] [--no-build]
#     Here: build the packages and put what a bare Linux x64 GPU machine needs into DIR (default tmp/gpu-check,
#     which git ignores): this machine's Node binary (stripped), the built packages with their run-time
#     dependencies (gpu-check-pack.mjs: onnxruntime-node's linux/x64 binary only), the check's scripts, and the
#     Vulkan loader from Debian (libvulkan1, with libglvnd, which NVIDIA's Vulkan driver links against), as one
#     DIR/pack.tar.xz under 60 MiB (34 MiB; minutes of xz on 2 cores). --no-xz leaves the folder as DIR/app, unstripped
#     (the CI dry run); --no-vulkan skips the download; --no-build uses the packages as built.
#
#   scripts/gpu-check.sh run [DIR] [gpu-check-run.mjs flags]
#     There: unpack DIR/pack.tar.xz (or use DIR/app), put the carried libraries on the loader path, point the
#     Vulkan loader at NVIDIA's driver, and run the check (default --device webgpu --config tiny). With $OUT set
#     (the device machine), results go to $OUT/gpu-check.json and the whole output to $OUT/gpu-check.log.
#     GPU_CHECK_TIMEOUT (seconds, default 270) stops the check before the device tool's own limit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
[ $# -gt 0 ] && shift
dir=$root/tmp/gpu-check
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  dir=$(realpath -m "$1")
  shift
fi
say() { echo "gpu-check.sh: $*" >&2; }

pack() {
  local xz=1 vulkan=1 build=1
  for a in "$@"; do
    case $a in
      --no-xz) xz=0 ;;
      --no-vulkan) vulkan=0 ;;
      --no-build) build=0 ;;
      *) say "pack: unknown flag $a"; exit 2 ;;
    esac
  done
  local nodebin
  nodebin=$(node -p 'process.platform + "/" + process.arch + " " + process.execPath')
  [ "${nodebin%% *}" = linux/x64 ] || { say "pack needs Linux x64 and its Node (this is ${nodebin%% *})"; exit 2; }
  nodebin=${nodebin#* }
  if [ $build = 1 ]; then (cd "$root" && npx --yes pnpm@10.34.9 build >&2); fi
  local app=$dir/app
  rm -rf "$dir" && mkdir -p "$app/bin" "$app/lib"
  node "$root/scripts/gpu-check-pack.mjs" "$app" >&2
  cp "$root"/scripts/{gpu-check-run.mjs,gpu-check-setup.mjs,gpu-check-placement.mjs,gpu-check-vulkan.py,bench-args.mjs} "$app/"
  if [ $xz = 1 ] && command -v strip >/dev/null; then strip -o "$app/bin/node" "$nodebin"; else cp "$nodebin" "$app/bin/node"; fi
  if [ $vulkan = 1 ]; then
    # Cached beside DIR, so that it does not travel twice.
    local debs=$root/tmp/gpu-check-debs pkgs=(libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2)
    mkdir -p "$debs"
    if ! (cd "$debs" && apt-get download "${pkgs[@]}" >&2 2>/dev/null); then
      apt-get update >&2 && (cd "$debs" && apt-get download "${pkgs[@]}" >&2)
    fi
    local x
    x=$(mktemp -d)
    for f in "$debs"/*.deb; do dpkg -x "$f" "$x"; done
    cp -a "$x"/usr/lib/x86_64-linux-gnu/*.so* "$app/lib/"
    rm -rf "$x"
  fi
  {
    echo "packed $(date -u +%FT%TZ) from $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "node $("$app/bin/node" --version)"
    ls "$app/lib"
  } >"$app/PACK.txt"
  if [ $xz = 1 ]; then
    say "compressing (xz; a few minutes on 2 cores)"
    tar -C "$app" -cf - . | xz -T0 -6 >"$dir/pack.tar.xz"
    rm -rf "$app"
    local mib=$(($(stat -c %s "$dir/pack.tar.xz") / 1048576))
    [ "$mib" -lt 60 ] || { say "$dir/pack.tar.xz is $mib MiB, over 60"; exit 1; }
    say "$dir/pack.tar.xz: $mib MiB"
  else
    say "$app: $(du -sm "$app" | cut -f1) MiB, not compressed"
  fi
}

run() {
  local app
  if [ -f "$dir/pack.tar.xz" ]; then
    app=${GPU_CHECK_APP:-/tmp/gpu-check-app}
    rm -rf "$app" && mkdir -p "$app"
    if command -v xz >/dev/null; then
      xz -dc "$dir/pack.tar.xz" | tar -C "$app" -xf -
    else
      python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$dir/pack.tar.xz" "$app"
    fi
  elif [ -d "$dir/app" ]; then
    app=$dir/app
  else
    say "no pack in $dir: run scripts/gpu-check.sh pack first"
    exit 2
  fi
  local node=node
  [ -x "$app/bin/node" ] && node=$app/bin/node
  local libs=$app/lib d
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && libs=$libs:$d; done
  export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  if [ -z "${VK_DRIVER_FILES:-}" ]; then
    for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
      if [ -f "$d/nvidia_icd.json" ]; then
        export VK_DRIVER_FILES=$d/nvidia_icd.json VK_ICD_FILENAMES=$d/nvidia_icd.json
        break
      fi
    done
  fi
  say "app $app; node $("$node" --version); VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"
  [ -f "$app/PACK.txt" ] && head -2 "$app/PACK.txt" >&2
  local limit=() args=("$@")
  command -v timeout >/dev/null && limit=(timeout -k 10 "${GPU_CHECK_TIMEOUT:-270}")
  [ ${#args[@]} -gt 0 ] || args=(--device webgpu --config tiny)
  if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT"
    "${limit[@]}" "$node" "$app/gpu-check-run.mjs" "${args[@]}" --out "$OUT/gpu-check.json" 2>&1 |
      tee "$OUT/gpu-check.log"
  else
    "${limit[@]}" "$node" "$app/gpu-check-run.mjs" "${args[@]}"
  fi
}

case $cmd in
  pack) pack "$@" ;;
  run) run "$@" ;;
  *)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    [ "$cmd" = -h ] || [ "$cmd" = --help ] || exit 2
    ;;
esac
