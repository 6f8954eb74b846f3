#!/usr/bin/env bash
# Runs every fuzz target of the module, one after another, for FUZZTIME each (docs/testing.md,
# "Fuzzing"). `go test -fuzz` takes one target per run, so the targets are found per package —
# the functions `func FuzzXxx(f *testing.F)` of its test files, what `go test -list '^Fuzz'`
# lists, without building a test binary only to list them — and run in turn; a failing target
# does not stop the others, and the script fails at the end if any did, with the failing input
# written by Go to the package's testdata/fuzz/FuzzXxx/ (a seed from then on).
#
# Go keeps the inputs that reached new code in its build cache, not in the repository. With
# FUZZKEEP=1 (the default) each target gets an empty cache directory of its own
# (-test.fuzzcachedir), so it starts from the committed corpus (testdata/fuzz and the f.Add
# seeds) alone, and what it found new is copied into testdata/fuzz/FuzzXxx/ afterwards: commit
# them, and the next run, and every `go test`, starts from there. FUZZKEEP=0 (CI) writes nothing
# but a failing input.
#
#   FUZZTIME     how long each target runs: 30s (default), 5m, or 1000x executions
#   FUZZKEEP     1: keep new interesting inputs in testdata/fuzz (default); 0: do not
#   FUZZPKGS     packages to search (default ./...)
#   FUZZRUN      only the targets whose name matches this regular expression (default all)
#   FUZZTIMEOUT  go test -timeout of each run (default 20m)
#   FUZZPARALLEL workers per target (default: GOMAXPROCS)
#   FUZZLOG      directory of each run's output and the summary (default dist/fuzz)
set -uo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
FUZZKEEP=${FUZZKEEP:-1}
FUZZPKGS=${FUZZPKGS:-./...}
FUZZRUN=${FUZZRUN:-.}
FUZZTIMEOUT=${FUZZTIMEOUT:-20m}
FUZZPARALLEL=${FUZZPARALLEL:-}
FUZZLOG=${FUZZLOG:-dist/fuzz}

mkdir -p "$FUZZLOG"
summary="$FUZZLOG/summary.txt"
: >"$summary"
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

parallel=()
if [ -n "$FUZZPARALLEL" ]; then
	parallel=(-parallel "$FUZZPARALLEL")
fi

failed=0
started=$(date +%s)
printf '%-28s %-22s %8s %12s %6s %5s %s\n' package target seconds execs new kept result | tee -a "$summary"
while read -r pkg dir; do
	targets=$(sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\(f \*testing\.F\).*/\1/p' "$dir"/*_test.go 2>/dev/null |
		grep -E -- "$FUZZRUN" || true)
	for name in $targets; do
		out="$FUZZLOG/${pkg//\//_}.$name.log"
		rm -rf "${cache:?}/$name"
		t0=$(date +%s)
		args=(-run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" -timeout "$FUZZTIMEOUT" "${parallel[@]}" "$pkg")
		if [ "$FUZZKEEP" = 1 ]; then
			args+=(-args "-test.fuzzcachedir=$cache")
		fi
		if $GO test "${args[@]}" >"$out" 2>&1; then
			result=ok
		elif grep -qx '    context deadline exceeded' "$out" && ! grep -q 'Failing input written' "$out"; then
			# Go 1.26's fuzzing coordinator can report its own -fuzztime deadline as a failure on
			# a loaded machine (go.dev/issue/75804, fixed in Go 1.27): no input failed.
			result=flake
		else
			result=FAIL
			failed=1
		fi
		secs=$(($(date +%s) - t0))
		# The last progress line carries the totals: "fuzz: elapsed: 30s, execs: 12345 (411/sec),
		# new interesting: 7 (total: 40)".
		last=$(grep -E '^fuzz: elapsed: .*execs: ' "$out" | tail -n 1)
		execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
		new=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
		kept=0
		if [ "$FUZZKEEP" = 1 ] && [ -d "$cache/$name" ]; then
			mkdir -p "$dir/testdata/fuzz/$name"
			for f in "$cache/$name"/*; do
				[ -e "$f" ] || continue
				if [ ! -e "$dir/testdata/fuzz/$name/$(basename "$f")" ]; then
					cp "$f" "$dir/testdata/fuzz/$name/"
					kept=$((kept + 1))
				fi
			done
		fi
		printf '%-28s %-22s %8s %12s %6s %5s %s\n' "${pkg#windowbot/}" "$name" "$secs" "${execs:-?}" "${new:-?}" "$kept" "$result" | tee -a "$summary"
		if [ "$result" = FAIL ]; then
			grep -vE '^fuzz: elapsed' "$out" | tail -n 25
		fi
	done
done < <($GO list -f '{{.ImportPath}} {{.Dir}}' $FUZZPKGS)

echo "fuzz: $(($(date +%s) - started))s in all, FUZZTIME=$FUZZTIME each; logs in $FUZZLOG" | tee -a "$summary"
exit $failed
