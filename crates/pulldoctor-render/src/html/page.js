"use strict";
// Copy buttons: the command text (or every command of a plan) to the clipboard; the button says
// whether it worked. Nothing here loads anything.
(function () {
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  function copy(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text).catch(function () { return fallback(text); });
    }
    return fallback(text);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (!button) { return; }
    var text = button.getAttribute("data-copy");
    if (text === null) {
      var from = document.getElementById(button.getAttribute("data-copy-all"));
      text = Array.prototype.map.call(from ? from.querySelectorAll("pre") : [], function (pre) { return pre.textContent; }).join("\n");
    }
    var label = button.textContent;
    copy(text).then(function () { button.textContent = "Copied"; }, function () { button.textContent = "Select and copy"; })
      .then(function () { setTimeout(function () { button.textContent = label; }, 1600); });
  });
  // Printed, everything folded is shown.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.setAttribute("open", ""); });
  });
})();
