// asnad console: small keyboard helpers. Everything works without this file.
// "/" moves the focus to the first filter of the page (as in the queue), unless one is typing.
document.addEventListener("keydown", function (e) {
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
  var t = e.target;
  if (t && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName))) return;
  var first = document.querySelector("form[role=search] select, form[role=search] input:not([type=hidden])") || document.querySelector("fieldset.dline");
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

// The claim page. On the decision form, the focused line is the fieldset holding the focus:
// a approves it, r rejects it, e edits its amount; j / k move between lines. ? opens the help,
// g then q goes back to the queue. The preview follows by htmx (the select fires "change").
(function () {
  function typing(t) {
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA)$/.test(t.tagName));
  }
  function setAction(line, value) {
    var s = line.querySelector("select[data-role=action]");
    if (!s) return;
    s.value = value;
    s.dispatchEvent(new Event("change", { bubbles: true }));
  }
  var pendingG = false;
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (typing(t)) return;
    var help = document.getElementById("help");
    if (e.key === "?" && help && help.showModal) { e.preventDefault(); if (!help.open) help.showModal(); return; }
    if (pendingG && e.key === "q") { pendingG = false; e.preventDefault(); window.location.href = "/console/queue"; return; }
    pendingG = e.key === "g";
    var lines = Array.prototype.slice.call(document.querySelectorAll("fieldset.dline"));
    if (!lines.length) return;
    var line = t && t.closest ? t.closest("fieldset.dline") : null;
    if ((e.key === "j" || e.key === "k") && !document.querySelector("table.queue")) {
      var i = lines.indexOf(line);
      i = i < 0 ? 0 : Math.max(0, Math.min(lines.length - 1, i + (e.key === "j" ? 1 : -1)));
      lines[i].focus();
      e.preventDefault();
      return;
    }
    if (!line) return;
    if (e.key === "a") { e.preventDefault(); setAction(line, "approve"); }
    else if (e.key === "r") { e.preventDefault(); setAction(line, "reject"); }
    else if (e.key === "e") {
      e.preventDefault();
      setAction(line, "adjust");
      var amount = line.querySelector("input[data-role=amount]");
      if (amount) { amount.focus(); amount.select(); }
    }
  });
  document.querySelectorAll("[data-help]").forEach(function (b) {
    b.addEventListener("click", function () { var h = document.getElementById("help"); if (h && h.showModal) h.showModal(); });
  });
  // Typing an amount means adjusting the line.
  document.addEventListener("input", function (e) {
    var t = e.target;
    if (!t || t.getAttribute("data-role") !== "amount") return;
    var s = t.closest("fieldset.dline").querySelector("select[data-role=action]");
    if (s && s.value === "") s.value = "adjust";
  });
})();

// The insured person's upload (form[data-upload]): says which file was chosen, and refuses one
// over the size limit before it is sent (the server refuses it too, in the same words), so a
// phone on a slow line does not send 12 MB to hear "too large". Choosing in one input clears
// the other: the photo or the file is sent, not both.
document.querySelectorAll("form[data-upload]").forEach(function (form) {
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[type=file]"));
  var chosen = form.querySelector("[data-chosen]");
  var tooLarge = form.querySelector("[data-too-large]");
  var submit = form.querySelector("button[type=submit]");
  inputs.forEach(function (input) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      inputs.forEach(function (other) { if (other !== input) other.value = ""; });
      var max = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
      var big = max > 0 && file.size > max;
      if (tooLarge) tooLarge.hidden = !big;
      if (submit) submit.disabled = big;
      if (chosen && !big) {
        chosen.textContent = "انتخاب شد: " + file.name + " (" + Math.ceil(file.size / 1024).toLocaleString("en-US") + " کیلوبایت). «بارگذاری» را بزنید.";
        chosen.classList.add("is-chosen");
      }
    });
  });
});
