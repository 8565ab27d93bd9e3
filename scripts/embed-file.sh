#!/bin/bash
# embed-file.sh SYMBOL FILE - print a C file defining SYMBOL (the bytes of
# FILE, NUL-terminated) and SYMBOL_len, so vigil carries its default rules.
set -euo pipefail
sym=$1
file=$2
echo "/* generated from $file by scripts/embed-file.sh; do not edit */"
echo "#include <stddef.h>"
echo "const char ${sym}[] = {"
od -An -v -tx1 "$file" | sed -E 's/ ([0-9a-f]{2})/0x\1,/g'
echo "0x00};"
echo "const size_t ${sym}_len = sizeof(${sym}) - 1;"
