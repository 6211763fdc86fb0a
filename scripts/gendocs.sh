#!/bin/sh
# Writes the shell completions (completions/) and man pages (manpages/)
# that the release archives and packages ship, by running the commands
# themselves, so they always match the flags. goreleaser runs it as a
# before-hook with SOURCE_DATE_EPOCH set to the commit's time, which dates
# the man pages so that a rebuild gives the same files.
set -eu
cd "$(dirname "$0")/.."
rm -rf completions manpages
mkdir -p completions manpages
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/" ./cmd/cimjob ./cmd/cimjob-sim
for cmd in cimjob cimjob-sim; do
	for shell in bash zsh fish; do
		"$bin/$cmd" completion "$shell" >"completions/$cmd.$shell"
	done
	"$bin/$cmd" completion powershell >"completions/$cmd.ps1"
	"$bin/$cmd" man --dir manpages
done
gzip -9nf manpages/*.1
