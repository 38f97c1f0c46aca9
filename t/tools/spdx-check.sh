#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every source, script and test file of ours names its license in an SPDX
# line at its top (README, "License").
#   t/tools/spdx-check.sh         list the files without one; exit 1 if any
#   t/tools/spdx-check.sh --fix   add the line to them (after a #! line, an
#                                 XML declaration or a Python coding line)
# Both may be run any number of times. The files looked at: in a git checkout
# the tracked and untracked ones git does not ignore; elsewhere (the copy
# t/run-tests.sh makes) every file but those .gitignore names. Which of them
# are ours to label, and how each kind writes a comment, is comment_for();
# data whose bytes matter (the corpora), the librdkafka patches and debian/
# (the packaging's own copyright file) are left alone.
set -euo pipefail

LINE='SPDX-License-Identifier: Apache-2.0'
# An SPDX line counts when it is within this many lines of the top.
HEAD_LINES=5

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
fix=0
case "${1:-}" in
    --fix) fix=1 ;;
    "") ;;
    *) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac

# The comment that carries the line in PATH ("PREFIX|SUFFIX"), or nothing
# when PATH is not a file we label.
comment_for() {
    local path=$1 base=${1##*/} first
    case "$path" in
        debian/*|t/corpus/*|t/fuzz/corpus/*) return ;;
    esac
    case "$base" in
        *.c|*.h) echo '/* | */' ;;
        *.mjs|*.js|*.java) echo '// |' ;;
        *.lua) echo '-- |' ;;
        configure.ac|*.m4) echo 'dnl |' ;;
        *.sh|*.t|*.pm|*.pl|*.PL|*.py|*.in|*.inc|Makefile.am) echo '# |' ;;
        ?*.*) ;;    # any other kind: documentation, data, patches
        *)  # no extension: a script when it starts with #!
            IFS= read -r first <"$path" || true
            case "$first" in
                '#!'*node*) echo '// |' ;;
                '#!'*) echo '# |' ;;
            esac ;;
    esac
}

# Whether .gitignore names PATH (for trees without git): its patterns as
# globs, anchored at the top when they hold a slash, "!" undoing a match.
ignore_patterns=()
[ -f .gitignore ] && mapfile -t ignore_patterns < <(grep -v '^[[:space:]]*\(#\|$\)' .gitignore)
ignored() {
    local path=$1 pat neg hit=1 p
    for pat in "${ignore_patterns[@]}"; do
        neg=0
        [ "${pat#!}" != "$pat" ] && { neg=1; pat=${pat#!}; }
        pat=${pat%/}
        case "$pat" in
            /*|*/*) p=${pat#/}
                    [[ $path == $p || $path == $p/* ]] || continue ;;
            *)      [[ /$path/ == */$pat/* ]] || continue ;;
        esac
        hit=$neg
    done
    return $hit
}

list_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -co --exclude-standard
    else
        find . -path ./.git -prune -o -type f -print | sed 's|^\./||' | sort \
            | while IFS= read -r f; do ignored "$f" || printf '%s\n' "$f"; done
    fi
}

# Writes the line into PATH below what must stay first, keeping its mode.
add_line() {
    local path=$1 style=$2 prefix suffix keep=0 tmp
    prefix=${style%%|*} suffix=${style#*|}
    IFS= read -r first <"$path" || true
    case "$first" in '#!'*|'<?xml'*) keep=1 ;; esac
    if [ "$keep" = 1 ] && [[ $path == *.py ]] \
        && sed -n 2p "$path" | grep -q '^[ \t\f]*#.*coding[:=]'; then
        keep=2
    fi
    tmp=$(mktemp)
    { head -n "$keep" "$path"
      printf '%s%s%s\n' "$prefix" "$LINE" "$suffix"
      tail -n +"$((keep + 1))" "$path"; } >"$tmp"
    cat "$tmp" >"$path"
    rm -f "$tmp"
}

missing=0
while IFS= read -r f; do
    [ -f "$f" ] && [ ! -L "$f" ] || continue
    style=$(comment_for "$f")
    [ -n "$style" ] || continue
    head -n "$HEAD_LINES" "$f" | grep -q 'SPDX-License-Identifier:' && continue
    if [ "$fix" = 1 ]; then
        add_line "$f" "$style"
        echo "added: $f"
    else
        echo "no SPDX line: $f"
        missing=$((missing + 1))
    fi
done < <(list_files)
if [ "$missing" != 0 ]; then
    echo "$missing file(s) without '$LINE' at the top; t/tools/spdx-check.sh --fix adds it" >&2
    exit 1
fi
