#!/usr/bin/env bash
# confignav's two entry points:
#   ./run.sh        the main job on the embedded default data (no download, no account)
#   ./run.sh test   every test
# Each installs what it needs (Go modules; Debian packages where a later part needs them).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || { echo "run.sh: Go is not installed (expected at /usr/local/go)" >&2; exit 1; }
export GOFLAGS="${GOFLAGS:-} -mod=readonly"

go mod download
mkdir -p bin
go build -o bin/cnav ./cmd/cnav

case "${1:-main}" in
test)
	shift || true
	# The real video functions' tests need ffmpeg (Debian's package).
	./functions/install-deps.sh
	echo "== go vet"
	go vet ./...
	echo "== go test"
	go test -count=1 "$@" ./...
	# A short run of every fuzz target (go test -fuzz takes one target of one
	# package at a time); the corpora under testdata/fuzz run in go test above.
	echo "== fuzz (${CNAV_FUZZTIME:=5s} each)"
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
	bin/cnav reproduce --quick --out results/latest "$@"
	echo "report: results/latest/report.md"
	# The gate: a failed check (drift, or a reference with no gated numbers)
	# fails the run, so CI sees it.
	bin/cnav check --against results/reference/summary.json --summary results/latest/summary.json || {
		status=$?
		echo "run.sh: the regression gate failed (see above): headline numbers moved beyond their tolerance from results/reference, or the reference is unusable" >&2
		exit "$status"
	}
	;;
*)
	echo "usage: ./run.sh [test [go test flags]] | ./run.sh [main [cnav reproduce flags]]" >&2
	exit 2
	;;
esac
