#!/usr/bin/env bash
# Install the Debian packages vigil needs that are missing (scripts/packages.txt,
# plus any lists given as arguments, e.g. scripts/packages-bench.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lists=("$here/packages.txt" "$@")
missing=()
for list in "${lists[@]}"; do
	while read -r pkg; do
		[[ -z "$pkg" || "$pkg" == \#* ]] && continue
		if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
			missing+=("$pkg")
		fi
	done < "$list"
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
