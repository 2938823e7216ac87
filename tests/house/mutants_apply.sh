#!/usr/bin/env bash
# Every mutant in scripts/mutants/model.txt still applies: its text occurs
# exactly once in its file. A refactor that moves or rewords the line would
# otherwise leave a mutant that mutates nothing, found only by the next
# (70-minute) scripts/mutation_score.sh run. Usage: mutants_apply.sh LIST ROOT
set -euo pipefail
list=$1 root=$2
problems=0 count=0
while IFS= read -r line; do
  [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
  name=${line%% @@ *}; rest=${line#* @@ }
  path=${rest%% @@ *}; rest=${rest#* @@ }
  text=${rest%% @@ *}
  if [[ $rest != *" @@ "* ]]; then
    echo "$list: not 'name @@ file @@ text @@ replacement': $line" >&2; problems=$((problems + 1)); continue
  fi
  if [[ ! -f $root/$path ]]; then
    echo "$list: $name: no file $path" >&2; problems=$((problems + 1)); continue
  fi
  found=$( (grep -o -F -- "$text" "$root/$path" || true) | wc -l)
  if [[ $found -ne 1 ]]; then
    echo "$list: $name: its text occurs $found times in $path (must be once)" >&2
    problems=$((problems + 1))
  fi
  count=$((count + 1))
done < "$list"
if [[ $problems -gt 0 ]]; then exit 1; fi
echo "$list: all $count mutants apply"
