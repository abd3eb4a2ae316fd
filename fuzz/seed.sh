#!/usr/bin/env bash
# Seed both fuzz corpora with every genuine-shape file the project ships.
set -euo pipefail
cd "$(dirname "$0")"
for target in read_file read_and_diagnose; do
    mkdir -p "corpus/$target"
    find ../fixtures/reader ../examples -name '*.json' -exec cp {} "corpus/$target/" \;
done
