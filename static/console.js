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

// The queue: j / k move a cursor over the rows (and focus the row's link, so Enter opens the
// claim); the cursor starts again after htmx replaces the rows.
(function () {
  var cursor = -1;
  document.addEventListener("keydown", function (e) {
    if ((e.key !== "j" && e.key !== "k") || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName))) return;
    var rows = Array.prototype.slice.call(document.querySelectorAll("table.queue > tbody > tr"));
    if (!rows.length) return;
    var current = rows.findIndex(function (r) { return r.classList.contains("is-cursor"); });
    cursor = current < 0 ? (e.key === "j" ? 0 : rows.length - 1) : current + (e.key === "j" ? 1 : -1);
    cursor = Math.max(0, Math.min(rows.length - 1, cursor));
    rows.forEach(function (r, i) { r.classList.toggle("is-cursor", i === cursor); });
    var link = rows[cursor].querySelector("td.doc a");
    if (link) link.focus();
    e.preventDefault();
  });
})();
