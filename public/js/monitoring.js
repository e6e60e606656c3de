// Refreshes the dashboard every 5 seconds without reloading the page: fetches it again and swaps its main content.
// Without JavaScript the page shows the same figures, as of when it was loaded.
(function () {
  'use strict';
  var main = document.getElementById('monitoring');
  if (!main || !window.fetch || !window.DOMParser) {
    return;
  }
  function refresh() {
    fetch(window.location.href, { headers: { Accept: 'text/html' }, cache: 'no-store' })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html) {
          var next = new DOMParser().parseFromString(html, 'text/html').getElementById('monitoring');
          if (next) {
            main.replaceChildren.apply(main, Array.prototype.slice.call(next.childNodes));
          }
        }
      })
      .catch(function () {})
      .then(function () {
        window.setTimeout(refresh, 5000);
      });
  }
  window.setTimeout(refresh, 5000);
})();
