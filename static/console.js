// asnad console: small keyboard helpers. Everything works without this file.
// "/" moves the focus to the first filter of the page (as in the queue), unless one is typing.
document.addEventListener("keydown", function (e) {
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
  var t = e.target;
  if (t && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName))) return;
  var first = document.querySelector("form[role=search] select, form[role=search] input:not([type=hidden])");
  if (first) { e.preventDefault(); first.focus(); }
});

// The filters are a <details>: closed on phones unless a filter is set, always open on wide
// screens (CSS shows their content there too, where the browser supports ::details-content).
if (window.matchMedia && window.matchMedia("(min-width: 761px)").matches) {
  document.querySelectorAll("details.filters").forEach(function (d) { d.open = true; });
}
