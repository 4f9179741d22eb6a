// Live parts of a page: an element with data-refresh="<url>" is replaced by what
// the URL answers every few seconds (the console's pages are rendered on the server).
(function () {
  "use strict";
  function refresh(element) {
    var url = element.getAttribute("data-refresh");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        // A session that ended sends the fragment's request to the sign-in page: go there.
        if (response.redirected) { window.location.assign(response.url); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null && html !== element.innerHTML) {
          var active = document.activeElement;
          // Someone typing in the live part (a summary) keeps what they typed.
          if (active && element.contains(active) && active.tagName === "TEXTAREA") { return; }
          element.innerHTML = html;
        }
      })
      .catch(function () { /* the next round tries again */ });
  }
  function start() {
    var live = document.querySelectorAll("[data-refresh]");
    live.forEach(function (element) {
      var every = parseInt(element.getAttribute("data-every") || "2000", 10);
      setInterval(function () { refresh(element); }, every);
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
