#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The Grafana dashboard deploy/monitoring/anypool.json is the page
# deploy/monitoring/dashboard.md describes, in a form Grafana imports:
#  - valid JSON, a recent schemaVersion, its data source an import input
#    ${DS_PROMETHEUS} (type prometheus) that every panel, every query and
#    every annotation query uses (no data source of someone's Grafana);
#  - one panel per row of dashboard.md's tables, with that row's title and
#    exactly that row's queries; the annotations' queries are the page's;
#  - every query is valid PromQL: promtool check rules on a file with each
#    as a recording rule (when promtool, from Debian's prometheus, is there).
# That each query returns data from real daemons is tests/lab/monitoring.sh.
set -u
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib/common.sh
. "$SRC/tests/lib/common.sh"
DASH=$SRC/deploy/monitoring/anypool.json
MD=$SRC/deploy/monitoring/dashboard.md
command -v jq >/dev/null || skip "jq missing"
command -v python3 >/dev/null || skip "python3 missing"

check "anypool.json is JSON" jq -e . "$DASH" >/dev/null
check "schemaVersion >= 36 (Grafana 9.x/10.x/11.x), a title and a uid" \
    jq -e '.schemaVersion >= 36 and (.title | length > 0) and (.uid | length > 0) and .id == null' "$DASH" >/dev/null
check "its data source is the import input \${DS_PROMETHEUS} (prometheus)" \
    jq -e '[.__inputs[] | select(.name == "DS_PROMETHEUS" and .type == "datasource" and .pluginId == "prometheus")] | length == 1' "$DASH" >/dev/null
check "every panel, query and annotation query uses \${DS_PROMETHEUS}" \
    jq -e '[(.panels[] | select(.type != "row") | .datasource, .targets[].datasource),
            (.annotations.list[] | select(.builtIn != 1) | .datasource)] |
           length > 20 and all(.type == "prometheus" and .uid == "${DS_PROMETHEUS}")' "$DASH" >/dev/null
check "panels do not overlap (gridPos)" python3 - "$DASH" <<'EOF'
import json, sys
p = [x["gridPos"] for x in json.load(open(sys.argv[1]))["panels"]]
cells = set()
for g in p:
    for dx in range(g["w"]):
        for dy in range(g["h"]):
            c = (g["x"] + dx, g["y"] + dy)
            if c in cells or g["x"] + g["w"] > 24:
                sys.exit(1)
            cells.add(c)
EOF
check "the panels and annotations are dashboard.md's, with its queries" python3 - "$DASH" "$MD" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
rows, ann = {}, set()
for line in open(sys.argv[2]):
    cols = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("| ") else []
    if len(cols) == 3 and "`" in cols[2]:
        qs = set(re.findall(r"`([^`]+)`", cols[2]))
        if cols[1] == "annotations":
            ann |= qs
        else:
            rows[cols[0]] = qs
got = {p["title"]: {t["expr"] for t in p["targets"]} for p in d["panels"] if p["type"] != "row"}
gotann = {a["expr"] for a in d["annotations"]["list"] if "expr" in a}
m = re.search(r"## Annotations\n(.*?)(\n## |\Z)", open(sys.argv[2]).read(), re.S)
ann |= {q for q in re.findall(r"`([^`]+)`", m.group(1)) if "(" in q} if m else set()
bad = [f"no panel {t!r}" for t in rows if t not in got] + \
      [f"panel {t!r} is not in dashboard.md" for t in got if t not in rows] + \
      [f"{t!r}: queries {sorted(got[t])} != {sorted(q)}" for t, q in rows.items() if t in got and got[t] != q] + \
      ([f"annotations {sorted(gotann)} != {sorted(ann)}"] if gotann != ann else [])
print(f"# {len(rows)} panels, {len(ann)} annotation queries in dashboard.md")
for b in bad:
    print("#", b)
sys.exit(1 if bad or len(rows) < 20 else 0)
EOF

PROMTOOL=$(command -v promtool || ls /var/cache/anypool/promtool/usr/bin/promtool 2>/dev/null)
if [ -n "$PROMTOOL" ]; then
	T=$(mktemp -d /tmp/anypool-dashboard.XXXXXX)
	trap 'rm -rf "$T"' EXIT
	jq -r '"groups:", "  - name: dashboard", "    rules:",
	    ([(.panels[] | select(.type != "row") | .targets[].expr), (.annotations.list[] | .expr // empty)] |
	     to_entries[] | "      - record: dashboard:query\(.key)", "        expr: \(.value | tojson)")' \
	    "$DASH" >"$T/queries.yml"
	if "$PROMTOOL" check rules "$T/queries.yml" >"$T/out" 2>&1; then
		pass "promtool: every query is valid PromQL ($(grep -o '[0-9]* rules found' "$T/out"))"
	else
		fail "promtool: a query is not valid PromQL"; cat "$T/out"
	fi
else
	echo "# no promtool (Debian's prometheus): PromQL syntax left to tests/lab/monitoring.sh"
fi
finish dashboard
