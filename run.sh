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
	echo "== go vet"
	go vet ./...
	echo "== go test"
	go test -count=1 "$@" ./...
	;;
main)
	# Until the experiments land (issue 6), the main job is a demonstration
	# run of every built-in pipeline on the simulated platform.
	mkdir -p results/latest
	for p in face-detection face-beautification autoclip; do
		echo "== $p"
		bin/cnav simulate --pipeline "$p" --rate 2 --duration 10m --memory-all 3008 --seed 1 \
			--records "results/latest/$p-records.parquet"
	done
	echo "records written to results/latest/"
	;;
*)
	echo "usage: ./run.sh [test]" >&2
	exit 2
	;;
esac
