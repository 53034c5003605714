# bench/results_svg.awk: build/bench-results.md (the table bench/run.sh writes) as an SVG
# picture, on standard output; bench/run.sh writes it to bench/results.svg.
#   awk -f bench/results_svg.awk build/bench-results.md >bench/results.svg
# One bar per row that has a goal, beside a tick at the goal's target; green when the goal
# is met, red when missed. Rows of the same bench that compare peers (the same measure as
# a goal row, or "X vs Y") are drawn beside them in grey. Ratios are on a log scale, bars
# growing from 1x; a goal in ns (bench E) is drawn on the same axis in ns. POSIX awk only.

function trim(s) { sub(/^ +/, "", s); sub(/ +$/, "", s); return s }
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
function lg(v) { return log(v) / log(10) }
function xpos(v) { return X0 + (lg(v) - lo) * (X1 - X0) / (hi - lo) }
function num(s) { return match(s, /[0-9]+(\.[0-9]+)?/) ? substr(s, RSTART, RLENGTH) + 0 : -1 }

/^- backing\.h / { sub(/^- /, ""); sub(/; run /, ", run "); sub(/, [0-9]+s, load average.*/, ""); about = $0 }

/^\| / && !/^\| Bench \|/ && !/^\|---/ {
  n = split($0, f, "|")
  if (n < 9) next
  r = ++rows
  bench[r] = trim(f[2]); subject[r] = trim(f[3]); measure[r] = trim(f[4])
  value[r] = trim(f[5]); base[r] = trim(f[6]); rat = trim(f[7]); g = trim(f[8])
  ratio[r] = -1; rlabel[r] = ""
  if (rat ~ /^([^ ,]+ )?[0-9.]+x$/) {     # "1.34x" or "max/median 1579.26x"
    ratio[r] = num(substr(rat, index(rat, " ") ? index(rat, " ") : 1))
    if (index(rat, " ")) rlabel[r] = substr(rat, 1, index(rat, " ") - 1)
  }
  target[r] = -1; unit[r] = "x"; op[r] = ""; met[r] = ""
  if (g ~ /^(<=|>=) [0-9.]+ ?(x|ns)/) {
    op[r] = substr(g, 1, 2); target[r] = num(g)
    if (g ~ /^.. [0-9.]+ ns/) { unit[r] = "ns"; ratio[r] = num(value[r]); rlabel[r] = "" }
    met[r] = g ~ /: met/ ? "met" : g ~ /missed/ ? "missed" : ""
    goal_of[bench[r] "|" measure[r]] = 1; goal_in[bench[r]] = 1
  }
}

END {
  X0 = 380; X1 = 820; W = 1060; ROW = 20; lo = 0; hi = 1
  for (r = 1; r <= rows; r++) {       # which rows to draw, and the axis' decades
    show[r] = target[r] > 0 || (ratio[r] > 0 && (goal_of[bench[r] "|" measure[r]] ||
              (goal_in[bench[r]] && subject[r] ~ / vs /)))
    if (!show[r]) continue
    for (k = 0; k < 2; k++) {
      v = k ? target[r] : ratio[r]
      if (v <= 0) continue
      if (lg(v) < lo) lo = int(lg(v)) - (lg(v) < int(lg(v)))
      if (lg(v) > hi) hi = int(lg(v)) + (lg(v) > int(lg(v)))
    }
  }
  y = 84; out = ""; last = ""
  for (r = 1; r <= rows; r++) {
    if (!show[r]) continue
    if (bench[r] != last) {
      y += 10
      out = out sprintf("<text x=\"8\" y=\"%d\" font-weight=\"bold\">%s</text>\n", y + 14, esc(bench[r]))
      y += 20; last = bench[r]
    }
    label = subject[r] (rlabel[r] != "" ? ", " rlabel[r] : "")
    if (rlabel[r] == "" && unit[r] == "x" && subject[r] !~ / vs / && base[r] !~ /^(baseline)?$/ &&
        base[r] !~ /[0-9] (ns|us|ms)$/)
      label = label " vs " base[r]     # what the ratio is against
    if (length(label) > 56) label = substr(label, 1, 54) "..."
    out = out sprintf("<text x=\"20\" y=\"%d\">%s</text>\n", y + 14, esc(label))
    colour = met[r] == "met" ? "#4e9a45" : met[r] == "missed" ? "#d1493f" : "#a0a0a0"
    text = "n/a"
    if (ratio[r] > 0) {
      a = xpos(1); b = xpos(ratio[r])
      if (b < a) { t = a; a = b; b = t }
      out = out sprintf("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
                        a, y + 3, b - a < 1 ? 1 : b - a, ROW - 6, colour)
      text = ratio[r] (unit[r] == "x" ? "x" : " " unit[r])
    }
    if (target[r] > 0) {
      out = out sprintf("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#000\" stroke-width=\"2\"/>\n",
                        xpos(target[r]), xpos(target[r]), y, y + ROW)
      text = text " (goal " op[r] " " target[r] (unit[r] == "x" ? "x" : " " unit[r]) (met[r] != "" ? ": " met[r] : "") ")"
    }
    out = out sprintf("<text x=\"%d\" y=\"%d\">%s</text>\n", X1 + 10, y + 14, esc(text))
    y += ROW
  }
  H = y + 20
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H
  printf "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
  printf "<text x=\"8\" y=\"20\" font-size=\"15\" font-weight=\"bold\">backing.h benchmarks: each goal's ratio and its target (log scale)</text>\n"
  printf "<text x=\"8\" y=\"38\" fill=\"#555\">%s</text>\n", esc(about)
  printf "<rect x=\"8\" y=\"48\" width=\"12\" height=\"12\" fill=\"#4e9a45\"/><text x=\"24\" y=\"58\">goal met</text>\n"
  printf "<rect x=\"100\" y=\"48\" width=\"12\" height=\"12\" fill=\"#d1493f\"/><text x=\"116\" y=\"58\">goal missed</text>\n"
  printf "<rect x=\"210\" y=\"48\" width=\"12\" height=\"12\" fill=\"#a0a0a0\"/><text x=\"226\" y=\"58\">peer or figure without a goal</text>\n"
  printf "<line x1=\"440\" x2=\"440\" y1=\"46\" y2=\"62\" stroke=\"#000\" stroke-width=\"2\"/><text x=\"448\" y=\"58\">target</text>\n"
  for (d = lo; d <= hi; d++) {        # one grid line per power of ten
    v = 10 ^ d
    printf "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"78\" y2=\"%d\" stroke=\"%s\"/>\n", xpos(v), xpos(v), H - 16, d == 0 ? "#555" : "#ddd"
    printf "<text x=\"%.1f\" y=\"74\" text-anchor=\"middle\" fill=\"#555\">%sx</text>\n", xpos(v), v
  }
  printf "%s</svg>\n", out
}
