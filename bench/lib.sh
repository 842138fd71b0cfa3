# Shared by the make bench scripts (sourced): installing what they need,
# only when it is missing.

# apt_install WHO PACKAGE...: installs the Debian packages given (callers
# list only the missing ones; duplicates are fine), saying which and for whom.
apt_install() {
  local who=$1
  shift
  [ $# -gt 0 ] || return 0
  local pkgs
  pkgs=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
  echo "$who: installing Debian packages: $pkgs" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
}

# install_sharp WHO DIR VERSION: sharp (npm) into DIR unless that version is
# there already. Needs node and npm.
install_sharp() {
  local who=$1 dir=$2 version=$3 installed
  installed=$(node -e "try { console.log(require('$dir/node_modules/sharp/package.json').version) } catch { console.log('') }")
  if [[ "$installed" != "$version"* ]]; then
    echo "$who: installing sharp@$version into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --silent "sharp@$version"
  fi
}
