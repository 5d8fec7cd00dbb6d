#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pmdvpn's whole test run, the one CI (.ci/run) and users call:
#
#   sudo usertools/pmdvpn-test.sh [--quick] [--no-install]
#
#   1. installs the Debian packages it needs (unless --no-install)
#   2. builds in build/ and runs the unit and integration suites
#   3. builds in build-asan/ with AddressSanitizer + UBSan, runs the unit suite
#   4. builds in build-fuzz/ with clang + libFuzzer, runs the fuzz suite
#      (each target for a bounded time; crash inputs are kept as regression
#      tests by the fuzz suite itself)
#
# --quick skips 3 and 4. Each stage's meson summary is printed, and the last
# line is "N passed, N failed, N skipped" over all stages; the exit status
# is non-zero if anything failed (a build failure counts as one failure).
#
# Environment: BUILDDIR (default build; the sanitizer and fuzz builds use
# BUILDDIR-asan and BUILDDIR-fuzz), FUZZ_BUDGET (seconds for the whole fuzz
# stage, default 420), MESON_TEST_ARGS (extra arguments for meson test).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
cd "$PV_ROOT" || exit 1

QUICK=0 INSTALL=1
for a in "$@"; do
	case $a in
	--quick) QUICK=1 ;;
	--no-install) INSTALL=0 ;;
	-h|--help) sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown option: $a (try --help)" >&2; exit 2 ;;
	esac
done

BUILDDIR=${BUILDDIR:-build}
FUZZ_BUDGET=${FUZZ_BUDGET:-420}
read -r -a EXTRA <<< "${MESON_TEST_ARGS:-}"
TOTAL_OK=0 TOTAL_FAIL=0 TOTAL_SKIP=0
SUMMARY=()
T_START=$(date +%s)

if [ "$(id -u)" != 0 ]; then
	[ "$INSTALL" = 1 ] && pv_die "run as root (sudo $0), or pass --no-install (the integration suite then skips)"
	pv_log "not root: the integration tests will be skipped"
fi

if [ "$INSTALL" = 1 ]; then
	if [ "$QUICK" = 1 ]; then pv_install_deps build run; else pv_install_deps build run fuzz; fi
fi

# stage_build LABEL DIR [meson options..]: a failed build is one failure.
stage_build() {
	local label=$1 dir=$2 t0; shift 2
	t0=$(date +%s)
	pv_log "$label: building in $dir"
	if pv_build "$dir" "$@"; then
		pv_log "$label: built in $(( $(date +%s) - t0 )) s"
		return 0
	fi
	TOTAL_FAIL=$((TOTAL_FAIL + 1))
	SUMMARY+=("$(printf '%-18s build FAILED (see %s)' "$label" "$dir/ninja.log")")
	return 1
}

# stage_test LABEL DIR [meson test args..]: runs meson test, prints its
# summary block and adds it to the totals.
stage_test() {
	local label=$1 dir=$2 log t0 rc ok fail skip tmo xpass; shift 2
	log=$dir/pmdvpn-test-$label.log
	t0=$(date +%s)
	pv_log "$label: meson test $*"
	${STAGE_TIMEOUT:+timeout --foreground "$STAGE_TIMEOUT"} \
		meson test -C "$dir" --print-errorlogs "${EXTRA[@]}" "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	[ "$rc" = 124 ] && pv_log "$label: stopped after ${STAGE_TIMEOUT}s (its time budget)"
	get() { awk -v k="$1" 'index($0, k) == 1 { v = $NF } END { print v + 0 }' "$log"; }
	ok=$(get 'Ok:') fail=$(get 'Fail:') skip=$(get 'Skipped:') tmo=$(get 'Timeout:')
	xpass=$(get 'Unexpected Pass:')
	fail=$((fail + tmo + xpass))
	if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then
		fail=1    # meson itself failed (no summary): count it
		pv_log "$label: meson test exited with $rc and no failing test"
	fi
	if grep -q 'No suitable tests defined' "$log"; then
		pv_log "$label: no tests in this suite"
	fi
	TOTAL_OK=$((TOTAL_OK + ok)) TOTAL_FAIL=$((TOTAL_FAIL + fail)) TOTAL_SKIP=$((TOTAL_SKIP + skip))
	SUMMARY+=("$(printf '%-18s Ok: %-4d Fail: %-4d Skipped: %-4d (%d s)' "$label" "$ok" "$fail" "$skip" \
		$(( $(date +%s) - t0 )))")
}

# 1. unit + integration
if stage_build main "$BUILDDIR"; then
	stage_test unit+integration "$BUILDDIR" --suite unit --suite integration
fi

if [ "$QUICK" = 0 ]; then
	# 2. sanitizers: UBSan must stop at the first error, or it only prints
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:print_summary=1}
	if stage_build asan "$BUILDDIR-asan" -Db_sanitize=address,undefined -Db_lundef=false; then
		stage_test unit-asan "$BUILDDIR-asan" --suite unit
	fi
	# 3. fuzzing, bounded: the whole stage gets FUZZ_BUDGET seconds
	if command -v clang > /dev/null; then
		if CC=clang stage_build fuzz "$BUILDDIR-fuzz" -Dfuzz=true -Db_lundef=false; then
			# every crash input ever kept (regressions/<target>/) and the
			# seeds, replayed once; the clang build's unit tests come along
			stage_test fuzz-regressions "$BUILDDIR-fuzz" --suite unit
			# the targets bound their own run time; this is the backstop
			STAGE_TIMEOUT=$FUZZ_BUDGET stage_test fuzz "$BUILDDIR-fuzz" --suite fuzz
		fi
	else
		pv_log "fuzz: clang not installed, stage skipped"
		TOTAL_SKIP=$((TOTAL_SKIP + 1))
	fi
fi

echo
echo "pmdvpn test summary ($(( $(date +%s) - T_START )) s):"
for s in "${SUMMARY[@]}"; do echo "  $s"; done
echo "$TOTAL_OK passed, $TOTAL_FAIL failed, $TOTAL_SKIP skipped"
[ "$TOTAL_FAIL" = 0 ] && [ "$TOTAL_OK" -gt 0 ]
