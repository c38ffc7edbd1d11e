# Prints its input for a Swift raw multi-line string literal: each line prefixed with `indent`
# (spaces), and lines longer than `width` cut at a space (or at `width` when there is none) and
# continued with `\#` (a raw string's line continuation: the next line joins it, so the string's
# value is unchanged). Used by scripts/embed-quickstart.sh and scripts/embed-openapi.sh so the
# generated files keep the 150-character line limit.
#   awk -v width=130 -v indent=0 -f scripts/wrap-raw-lines.awk FILE
BEGIN { pad = sprintf("%" (indent + 0) "s", "") }
{
  line = $0
  while (length(line) > width) {
    cut = width
    while (cut > 60 && substr(line, cut, 1) != " ") cut--
    if (cut <= 60) cut = width
    print pad substr(line, 1, cut) "\\#"
    line = substr(line, cut + 1)
  }
  print pad line
}
