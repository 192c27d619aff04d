/* Page behaviour, kept out of the templates: the Content-Security-Policy allows no inline
   scripts, event-handler attributes or style attributes. */
(function () {
  "use strict";

  // <select data-autosubmit>: submit the form on change (language picker, settings toggles).
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  // <div data-width="42">: a progress bar's width, set through the CSSOM (allowed by the CSP).
  function setWidth(el, percent) { el.style.width = percent + "%"; }
  document.querySelectorAll("[data-width]").forEach(function (el) {
    setWidth(el, el.getAttribute("data-width"));
  });

  // <section data-screening-poll="url">: follow a running screening, reload when it ends.
  document.querySelectorAll("[data-screening-poll]").forEach(function (box) {
    var url = box.getAttribute("data-screening-poll");
    var bar = document.getElementById("screening-bar");
    var phase = document.getElementById("screening-phase");
    var timer = setInterval(function () {
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
        if (!s.screening || s.screening.state !== "running") {
          clearInterval(timer);
          window.location.reload();
          return;
        }
        if (bar) { setWidth(bar, s.screening.percent); bar.textContent = s.screening.percent + "%"; }
        if (phase) { phase.textContent = s.screening.phase + " " + s.screening.done + "/" + s.screening.total; }
      }).catch(function () {});
    }, 1000);
  });
})();
