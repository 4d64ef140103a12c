#!/usr/bin/env bash
# confignav's two entry points:
#   ./run.sh        the main job on the embedded default data (no download, no account)
#   ./run.sh test   every test, and the regression gate on the CI subset
# and one maintenance command:
#   ./run.sh ci-reference   regenerate results/reference/ci-summary.json (the CI
#                           subset's reference) after a change that moves its numbers
# Each installs what it needs (Go modules; Debian packages where a later part needs them).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || { echo "run.sh: Go is not installed (expected at /usr/local/go)" >&2; exit 1; }
export GOFLAGS="${GOFLAGS:-} -mod=readonly"

# One line per phase on stderr, so a log (CI, nohup, a pipe) says what is
# going on while modules download and the binary builds.
say() { echo "run.sh: $*" >&2; }
say "downloading Go modules (go mod download; minutes on a fresh module cache, instant after)"
go mod download
say "building bin/cnav (go build ./cmd/cnav)"
mkdir -p bin
go build -o bin/cnav ./cmd/cnav

# ci_gate runs the regression subset (a few cells of every gated experiment,
# seed 1) in a fresh directory and checks it against its committed reference.
ci_gate() {
	local out
	out="$(mktemp -d)"
	say "regression gate: cnav reproduce --subset ci, then cnav check against results/reference/ci-summary.json"
	bin/cnav reproduce --subset ci --out "$out" >/dev/null
	bin/cnav check --against results/reference/ci-summary.json --summary "$out/summary.json" || {
		status=$?
		echo "run.sh: the CI regression gate failed (see above): a gated number of the CI subset moved beyond its tolerance;" \
			"if the change is intended, regenerate the reference with ./run.sh ci-reference and commit results/reference/ci-summary.json" >&2
		rm -rf "$out"
		exit "$status"
	}
	rm -rf "$out"
}

case "${1:-main}" in
test)
	shift || true
	# The real video functions' tests need ffmpeg (Debian's package).
	./functions/install-deps.sh
	echo "== go vet"
	go vet ./...
	echo "== go test"
	go test -count=1 "$@" ./...
	echo "== regression gate (CI subset)"
	ci_gate
	# A short run of every fuzz target (go test -fuzz takes one target of one
	# package at a time); the corpora under testdata/fuzz run in go test above.
	# The budget is a count of executions, not a duration: a duration's
	# deadline races the workers' shutdown in Go's fuzz coordinator and fails
	# with "context deadline exceeded" and no input (golang/go#75804, fixed
	# in Go 1.27; seen here on go1.26.8 with FuzzParseReport).
	echo "== fuzz (${CNAV_FUZZTIME:=20000x} each)"
	for target in traces:FuzzAzure2019 traces:FuzzAzure2021 traces:FuzzDurationsMemory traces:FuzzCatalogue \
		traces:FuzzParseChange traces:FuzzSelect traces:FuzzReadParquet traces:FuzzRLE pipeline:FuzzParseCompile \
		navigator/model:FuzzLoad live:FuzzParseReport; do
		pkg="${target%%:*}" name="${target##*:}"
		log="$(mktemp)"
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$CNAV_FUZZTIME" "./$pkg" >"$log" 2>&1 || {
			tail -n 40 "$log" >&2
			echo "fuzz $pkg $name failed (a new failing input is saved under $pkg/testdata/fuzz/$name):" \
				"rerun go test -run '^$' -fuzz '^${name}\$' ./$pkg" >&2
			exit 1
		}
		rm -f "$log"
		echo "ok   $pkg $name"
	done
	;;
main)
	# The main job: every figure and table of the paper in quick mode, on the
	# embedded default data (synthetic trace, built-in pipelines, committed
	# prediction model and measured tables), then the regression gate.
	shift || true
	say "reproducing every experiment in quick mode into results/latest (cnav reproduce; progress below)"
	# cnav reproduce prints the report's path (results/latest/report.md).
	bin/cnav reproduce --quick --out results/latest "$@"
	say "checking the headline numbers against results/reference/summary.json (cnav check)"
	# The gate: a failed check (drift, or a reference with no gated numbers)
	# fails the run, so CI sees it.
	bin/cnav check --against results/reference/summary.json --summary results/latest/summary.json || {
		status=$?
		echo "run.sh: the regression gate failed (see above): headline numbers moved beyond their tolerance from results/reference, or the reference is unusable" >&2
		exit "$status"
	}
	;;
ci-reference)
	# The CI subset's reference: rerun it from scratch (cells of an older
	# build are never reused: a fresh directory) and commit the summary.
	out="$(mktemp -d)"
	say "regenerating results/reference/ci-summary.json (cnav reproduce --subset ci)"
	bin/cnav reproduce --subset ci --out "$out" >/dev/null
	cp "$out/summary.json" results/reference/ci-summary.json
	rm -rf "$out"
	say "wrote results/reference/ci-summary.json: review git diff results/reference/ci-summary.json and commit it"
	;;
*)
	echo "usage: ./run.sh [test [go test flags]] | ./run.sh [main [cnav reproduce flags]] | ./run.sh ci-reference" >&2
	exit 2
	;;
esac
