// The console's only script. A page whose state the registry is changing (a plan computing
// or applying) marks its main part with data-refresh; this reads the page again every two
// seconds and puts the new main part in place, without a reload, until the mark is gone.
// Without the script the page reloads itself (a meta refresh inside noscript).
(function () {
  "use strict";
  function tick() {
    if (!document.querySelector("main[data-refresh]")) {
      return;
    }
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) {
        return answer.ok ? answer.text() : Promise.reject(answer.status);
      })
      .then(
        function (html) {
          var next = new DOMParser().parseFromString(html, "text/html").querySelector("main");
          var main = document.querySelector("main");
          if (next && main) {
            main.replaceWith(next);
          }
          setTimeout(tick, 2000);
        },
        function () {
          setTimeout(tick, 5000);
        }
      );
  }
  setTimeout(tick, 2000);
})();
