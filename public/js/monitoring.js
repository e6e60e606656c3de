// Refreshes the dashboard every 5 seconds without reloading the page: fetches it again and swaps its main content,
// keeping open the tables of numbers a reader opened. Without JavaScript the page shows the same figures, as of when
// it was loaded; nothing else depends on this script.
(function () {
  'use strict';
  var PERIOD_MS = 5000;
  var main = document.getElementById('monitoring');
  if (!main || !window.fetch || !window.DOMParser) {
    return;
  }
  function openDetails() {
    return Array.prototype.map.call(main.querySelectorAll('details[open][id]'), function (details) {
      return details.id;
    });
  }
  function swap(html) {
    var next = new DOMParser().parseFromString(html, 'text/html').getElementById('monitoring');
    if (!next) {
      return;
    }
    var opened = openDetails();
    main.replaceChildren.apply(main, Array.prototype.slice.call(next.childNodes));
    opened.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) {
        details.open = true;
      }
    });
  }
  function refresh() {
    if (document.hidden) {
      window.setTimeout(refresh, PERIOD_MS);
      return;
    }
    fetch(window.location.href, { headers: { Accept: 'text/html' }, cache: 'no-store' })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html) {
          swap(html);
        }
      })
      .catch(function () {})
      .then(function () {
        window.setTimeout(refresh, PERIOD_MS);
      });
  }
  window.setTimeout(refresh, PERIOD_MS);
})();
