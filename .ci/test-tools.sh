#!/usr/bin/env bash
# The real programs some tests drive: tmux (the dashboard in a real terminal), Prometheus (scraping
# `genwatt serve`), Chromium (rendering the HTML report), libfaketime (stepping genwatt's wall clock)
# and the real ComfyUI server. `npm test` runs this first: whatever is
# missing is installed from Debian/Ubuntu's packages (as root, or with passwordless sudo). Where that
# cannot be done it says so, and the tests that need the program fail naming it.
set -u
# The real ComfyUI (shared/servers/comfyui, next to the checkout): laid out once by its setup.sh
# (about 3 minutes of Debian packages on a fresh machine); test/src/backends/comfyui-real.test.ts starts it.
for shared in "${GENWATT_SHARED:-}" "$(dirname "$0")/../../shared" /work/shared; do
  [ -n "$shared" ] && [ -f "$shared/servers/comfyui/setup.sh" ] || continue
  if [ ! -f "${COMFY_ROOT:-/tmp/real-comfyui}/ComfyUI/main.py" ]; then
    echo "genwatt tests: laying out the real ComfyUI ($shared/servers/comfyui/setup.sh)" >&2
    bash "$shared/servers/comfyui/setup.sh" >/tmp/genwatt-comfyui-setup.log 2>&1 \
      || echo "genwatt tests: the real ComfyUI could not be set up (log /tmp/genwatt-comfyui-setup.log): its tests are skipped and say so" >&2
  fi
  break
done
need=()
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v faketime >/dev/null 2>&1 || need+=(faketime)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "genwatt tests: ${need[*]} missing and no apt-get here: install them to run every test" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "genwatt tests: ${need[*]} missing; run as root or with passwordless sudo to install them (apt-get install ${need[*]})" >&2
    exit 0
  fi
fi
echo "genwatt tests: installing ${need[*]} (Debian packages)" >&2
$SUDO apt-get update -qq >/dev/null 2>&1 || true
# RUNLEVEL=1: install the prometheus package without starting its system service
$SUDO env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || echo "genwatt tests: could not install ${need[*]}: the tests that need them will fail and say so" >&2
exit 0
