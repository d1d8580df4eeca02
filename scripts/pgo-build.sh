#!/usr/bin/env bash
# Builds annexa with profile-guided optimisation (PGO), into target/pgo/annexa.
#
# 1. an instrumented release build;
# 2. training: the built-in rules over 150 copies of fixtures/ and examples/,
#    in the text, json and jsonl formats (not the benchmark's policies);
# 3. the release build again, laid out by that profile.
#
# The result gives the same output as `cargo build --release` and takes
# about 12 % less CPU (BENCHMARKS.md). Needs `llvm-profdata` of the LLVM
# that rustc uses: rustup's llvm-tools component, or Debian's llvm-NN
# package (NN as in `rustc -vV`). Takes two release builds (~5 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

host=$(rustc -vV | sed -n 's/^host: //p')
llvm=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\)\..*/\1/p')

# The profile format follows LLVM's version: only a matching tool reads it.
profdata=""
for candidate in "$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata" \
    "$(command -v "llvm-profdata-$llvm" || true)" "$(command -v llvm-profdata || true)"; do
    if [ -x "$candidate" ] && "$candidate" --version 2>/dev/null | grep -q "LLVM version $llvm\."; then
        profdata=$candidate
        break
    fi
done
if [ -z "$profdata" ]; then
    echo "error: no llvm-profdata for LLVM $llvm (rustc's)" >&2
    echo "hint: rustup component add llvm-tools, or apt-get install llvm-$llvm" >&2
    exit 1
fi

out=$PWD/target/pgo
rm -rf "$out/profiles" "$out/annexa.profdata" "$out/annexa"
# --target: the flags then reach annexa's code only, not build scripts or macros.
build() {
    RUSTFLAGS="${RUSTFLAGS:-} $1" cargo build --locked --release --target "$host" --target-dir "$2"
}

echo "== instrumented build"
build "-Cprofile-generate=$out/profiles" "$out/instrumented"

echo "== training: built-in rules over fixtures/ and examples/"
training=$(mktemp -d)
trap 'rm -rf "$training"' EXIT
for i in $(seq 1 150); do
    mkdir "$training/$i"
    cp -r fixtures examples "$training/$i/"
done
for format in text json jsonl; do
    # Exit 1 means findings, which the fixtures have.
    "$out/instrumented/$host/release/annexa" scan --now 2025-07-01 --format "$format" "$training" >/dev/null || [ $? = 1 ]
done
"$profdata" merge -o "$out/annexa.profdata" "$out/profiles"

echo "== optimised build"
build "-Cprofile-use=$out/annexa.profdata" "$out/optimized"
cp "$out/optimized/$host/release/annexa" "$out/annexa"
echo "built $out/annexa"
