#!/usr/bin/env bash
# Serialization cost of a 10,000-series page per exposition format (bench/serialize.cpp), as a
# table: median and p99 wall time of one page, output size, and median time relative to
# prometheus-cpp's TextSerializer on the same data.
# Usage: bench/serialize.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
"$BUILD/bench/bench_serialize" --benchmark_format=json 2>/dev/null | jq -r '
  [.benchmarks[] | select(.aggregate_name == "median" or .aggregate_name == "p99")
   | {format: (.run_name | split("/") | if .[0] == "BM_serialize" then .[1]
                                         else "prometheus-cpp text" end),
      stat: .aggregate_name, ms: .real_time, bytes: .bytes}]
  | group_by(.format)
  | map({format: .[0].format, bytes: .[0].bytes,
         median: (.[] | select(.stat == "median") | .ms),
         p99: (.[] | select(.stat == "p99") | .ms)}) as $rows
  | ($rows[] | select(.format == "prometheus-cpp text") | .median) as $baseline
  | (["format", "median ms", "p99 ms", "bytes", "time vs prometheus-cpp"] | @tsv),
    ($rows | sort_by(.median)[]
     | [.format, (.median * 100 | round / 100), (.p99 * 100 | round / 100), .bytes,
        ((.median / $baseline * 100 | round / 100 | tostring) + "x")] | @tsv)
' | column -t -s $'\t'
