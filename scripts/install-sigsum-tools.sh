#!/usr/bin/env bash
# Installs the reference Sigsum programs that the interoperability and
# differential tests run against, from Debian's archive, into a private
# folder; prints that folder's bin directory. Nothing outside it is changed
# and no root access is needed beyond what apt-get download requires.
#
#   bin=$(scripts/install-sigsum-tools.sh)          # default: ${XDG_CACHE_HOME:-~/.cache}/sigsum-tools
#   bin=$(scripts/install-sigsum-tools.sh DIR)
#
# Packages: sigsum-go (sigsum-submit, sigsum-verify, sigsum-monitor, sigsum-key,
# sigsum-token, sigsum-witness), sigsum-log-go (log-go's sigsum-log-primary and
# sigsum-log-secondary; run them with GODEBUG=httpmuxgo121=0) and torchwood
# (litewitness). Tested with sigsum-go 0.14.1-2, sigsum-log-go 0.15.2-2+b1,
# torchwood 0.9.0-6. (litewitness signs through an SSH agent; the tests
# provide their own, test/support/ssh-agent.ts.)
set -euo pipefail

dest=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/sigsum-tools}
packages=(sigsum-go sigsum-log-go torchwood)
bin="$dest/usr/bin"

if [[ -x $bin/sigsum-submit && -x $bin/sigsum-log-primary && -x $bin/litewitness ]]; then
  echo "$bin"
  exit 0
fi
for cmd in apt-get dpkg-deb; do
  command -v "$cmd" >/dev/null || { echo "install-sigsum-tools: $cmd not found (a Debian-based system is needed)" >&2; exit 1; }
done

state="$dest/apt"
mkdir -p "$state/lists/partial" "$state/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -r $keyring ]] || { echo "install-sigsum-tools: $keyring missing (apt-get install debian-archive-keyring)" >&2; exit 1; }
echo "deb [signed-by=$keyring] http://deb.debian.org/debian sid main" > "$state/sources.list"
apt=(-o "Dir::Etc::sourcelist=$state/sources.list" -o "Dir::Etc::sourceparts=-"
     -o "Dir::State::Lists=$state/lists" -o "Dir::Cache::archives=$state/archives"
     -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Get::List-Cleanup=0"
     -o "APT::Sandbox::User=root")

apt-get "${apt[@]}" -qq update >&2
rm -f "$state"/archives/*.deb
(cd "$state/archives" && apt-get "${apt[@]}" -qq download "${packages[@]}" >&2)
for deb in "$state"/archives/*.deb; do
  dpkg-deb -x "$deb" "$dest"
  echo "install-sigsum-tools: unpacked $(basename "$deb")" >&2
done

"$bin/sigsum-key" --help >/dev/null 2>&1 || { echo "install-sigsum-tools: the installed binaries do not run on this machine" >&2; exit 1; }
echo "$bin"
