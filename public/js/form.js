/*
 * Progressive enhancement of the form page; the page works fully without it (plain POST, server-rendered result).
 * With it: the age slider, a live count of ticked boxes, and submission without reloading the page. The server
 * renders the same page either way; the script swaps in its result region and field messages.
 */
(function () {
  'use strict';

  var form = document.querySelector('form[data-enhance]');
  if (!form || !window.fetch || !window.DOMParser) {
    return;
  }

  function enhanceAge() {
    var slider = form.querySelector('[data-slider-for]');
    if (!slider) {
      return;
    }
    var input = document.getElementById(slider.getAttribute('data-slider-for'));
    slider.closest('[data-age-slider]').hidden = false;
    slider.addEventListener('input', function () {
      input.value = slider.value;
    });
    input.addEventListener('input', function () {
      var age = Number(input.value);
      if (input.value !== '' && Number.isFinite(age)) {
        slider.value = String(Math.min(Math.max(Math.round(age), Number(slider.min)), Number(slider.max)));
      }
    });
  }

  function enhanceCount() {
    var counter = form.querySelector('[data-ticked-count]');
    var boxes = form.querySelectorAll('[data-box]');
    function update() {
      var ticked = 0;
      boxes.forEach(function (box) {
        ticked += box.checked ? 1 : 0;
      });
      counter.textContent = counter.getAttribute('data-template').replace('{count}', String(ticked));
    }
    boxes.forEach(function (box) {
      box.addEventListener('change', update);
    });
  }

  /* Replaces the element of the current page that has the same id as `fresh` (from the server's page). */
  function replaceById(fresh) {
    var current = document.getElementById(fresh.id);
    if (current) {
      current.replaceWith(document.importNode(fresh, true));
    }
  }

  function show(page) {
    var result = document.getElementById('result');
    var freshResult = page.getElementById('result');
    // The region itself stays, so assistive technologies announce its new content (aria-live).
    result.replaceChildren.apply(
      result,
      Array.prototype.map.call(freshResult.childNodes, function (node) {
        return document.importNode(node, true);
      }),
    );
    page.querySelectorAll('[data-error-slot]').forEach(replaceById);
    ['aria-invalid', 'aria-describedby'].forEach(function (name) {
      form.querySelectorAll('input[id]').forEach(function (input) {
        var twin = page.getElementById(input.id);
        if (twin && twin.hasAttribute(name)) {
          input.setAttribute(name, twin.getAttribute(name));
        } else if (twin) {
          input.removeAttribute(name);
        }
      });
    });
    ['.field', '.boxes-status'].forEach(function (selector) {
      var fresh = page.querySelectorAll(selector);
      form.querySelectorAll(selector).forEach(function (element, index) {
        if (fresh[index]) {
          element.className = fresh[index].className;
        }
      });
    });
    var count = page.querySelector('[data-ticked-count]');
    form.querySelector('[data-ticked-count]').textContent = count.textContent;
    document.title = page.title;
    var focus = result.querySelector('[data-focus]');
    if (focus) {
      focus.focus({ preventScroll: true });
    }
    result.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }

  function enhanceSubmit() {
    var button = form.querySelector('[data-submit]');
    var busy = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      button.setAttribute('aria-busy', 'true');
      fetch(form.action, {
        method: 'POST',
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: 'text/html' },
        credentials: 'same-origin',
      })
        .then(function (response) {
          return response.text();
        })
        .then(function (html) {
          show(new DOMParser().parseFromString(html, 'text/html'));
        })
        .catch(function () {
          // Network trouble: fall back to the plain submission, which shows whatever the server answers.
          HTMLFormElement.prototype.submit.call(form);
        })
        .finally(function () {
          busy = false;
          button.removeAttribute('aria-busy');
        });
    });
  }

  enhanceAge();
  enhanceCount();
  enhanceSubmit();
})();
