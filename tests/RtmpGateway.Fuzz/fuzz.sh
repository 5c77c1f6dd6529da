#!/usr/bin/env bash
# Fuzzes one parser with AFL++ and SharpFuzz for a while, then keeps what it found.
#
#   bash tests/RtmpGateway.Fuzz/fuzz.sh TARGET [MINUTES]      (TARGET: chunk amf0 amf3 flv avcc asc handshake)
#
# Installs what is missing (Debian's afl++, the SharpFuzz.CommandLine tool into .artifacts/), publishes
# RtmpGateway.Fuzz, instruments RtmpGateway.Rtmp.dll and RtmpGateway.Media.dll, and runs afl-fuzz on
# corpus/TARGET for MINUTES (default 10). Findings go to .artifacts/fuzz/TARGET/findings (gitignored);
# at the end every crash and hang is copied to crashers/TARGET/ (replayed by RtmpGateway.Fuzz.Tests)
# and the execution and crash counts are printed. One fuzzer at a time: it takes a core.
set -euo pipefail
cd "$(dirname "$0")/../.."

targets="chunk amf0 amf3 flv avcc asc handshake"
target="${1:-}"
minutes="${2:-10}"
if [[ ! " $targets " == *" $target "* ]] || [[ ! "$minutes" =~ ^[0-9]+$ ]]; then
  echo "usage: bash tests/RtmpGateway.Fuzz/fuzz.sh TARGET [MINUTES]   (TARGET: $targets)" >&2
  exit 2
fi

project=tests/RtmpGateway.Fuzz
work=.artifacts/fuzz
bin="$work/$target/bin"
findings="$work/$target/findings"
crashers="$project/crashers/$target"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# afl-fuzz from Debian's afl++ package (4.04c on Debian 12).
if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "fuzz: installing afl++"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends afl++
fi

# The instrumenting tool, the same version as the SharpFuzz package (Directory.Packages.props).
sharpfuzz="$work/tools/sharpfuzz"
if [ ! -x "$sharpfuzz" ]; then
  echo "fuzz: installing SharpFuzz.CommandLine 2.3.0"
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$work/tools" >/dev/null
fi

# A fresh publish each time: sharpfuzz rewrites the assemblies in place and refuses to do it twice.
echo "fuzz: publishing $project"
rm -rf "$bin"
dotnet publish "$project" -c Release -o "$bin" -nologo -v quiet -clp:ErrorsOnly -warnaserror
for assembly in RtmpGateway.Rtmp RtmpGateway.Media; do
  "$sharpfuzz" "$bin/$assembly.dll" >/dev/null || { echo "fuzz: sharpfuzz could not instrument $assembly.dll" >&2; exit 1; }
done

# afl-fuzz runs "dotnet RtmpGateway.Fuzz.dll TARGET" and passes each input on stdin.
#   AFL_SKIP_BIN_CHECK   the target binary is dotnet, which carries no AFL instrumentation itself
#   AFL_NO_AFFINITY      do not pin a core: the machine is shared with builds and other work
#   AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES, AFL_SKIP_CPUFREQ   no root-only tuning of core_pattern or governor
#   -m none              .NET reserves far more address space than it uses; memory is capped below
#   DOTNET_GCHeapHardLimit   1 GiB of managed heap: an allocation sized from a declared length becomes
#                        an OutOfMemoryException (a crash) instead of paging the machine
#   -t 2000              a restarted .NET child needs ~0.3 s to start and JIT; a real hang needs longer
#   -V                   stop after MINUTES
rm -rf "$findings"
mkdir -p "$findings" "$crashers"
dict=()
[ -f "$project/dict/$target.dict" ] && dict=(-x "$project/dict/$target.dict")
# On a terminal afl-fuzz shows its status screen; otherwise its line-per-test-case log goes to a file.
log=/dev/stdout
[ -t 1 ] || { export AFL_NO_UI=1; log="$work/$target/afl-fuzz.log"; }
echo "fuzz: afl-fuzz on $target for $minutes min (findings in $findings)"
status=0
AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 \
DOTNET_GCHeapHardLimit=0x40000000 \
  afl-fuzz -i "$project/corpus/$target" -o "$findings" -m none -t 2000 -V $((minutes * 60)) "${dict[@]}" \
  -- dotnet "$bin/RtmpGateway.Fuzz.dll" "$target" >"$log" 2>&1 || status=$?
if [ "$status" -ne 0 ] && [ "$log" != /dev/stdout ]; then
  tail -n 30 "$log" >&2
fi

# Keep every crash and hang under a name from its content, so a rerun adds only new ones.
kept=0
for kind in crashes hangs; do
  for file in "$findings"/default/"$kind"/id:*; do
    [ -f "$file" ] || continue
    name="${kind%es}"; name="${name%s}-$(sha1sum "$file" | cut -c1-12).bin"
    if [ ! -f "$crashers/$name" ]; then
      cp "$file" "$crashers/$name"
      kept=$((kept + 1))
    fi
  done
done

stats="$findings/default/fuzzer_stats"
if [ -f "$stats" ]; then
  get() { sed -n "s/^$1 *: *//p" "$stats"; }
  echo "fuzz: $target: $(get execs_done) execs in $(get run_time) s ($(get execs_per_sec)/s), corpus $(get corpus_count)," \
    "crashes $(get saved_crashes), hangs $(get saved_hangs), stability $(get stability); $kept new file(s) in $crashers"
else
  echo "fuzz: $target: afl-fuzz left no fuzzer_stats (exit $status)" >&2
fi
exit $status
