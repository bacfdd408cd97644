/* The resource page: the preview's frame gets a title in the page's
 * language (CKAN's template writes aria-label="Data viewer" in English
 * and no title, which axe reports). */
(function () {
  'use strict';
  function name() {
    var holder = document.getElementById('hokkaido-frame-label');
    if (!holder) { return; }
    document.querySelectorAll('iframe[data-module="data-viewer"]').forEach(function (frame) {
      frame.setAttribute('title', holder.getAttribute('data-label'));
      frame.setAttribute('aria-label', holder.getAttribute('data-label'));
    });
  }
  document.addEventListener('DOMContentLoaded', name);
  name();
})();
