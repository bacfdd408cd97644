/* Names for what ckanext-datatablesview's preview draws without one, in
 * the page's language: each column filter box (「施設名で絞り込み」), the
 * pagination arrows, the search box; run after every draw of the table.
 * The strings come from the page (data attributes set by our template). */
(function () {
  'use strict';
  var labels = {filter: 'Filter by {column}', previous: 'Previous page', next: 'Next page', search: 'Search the table',
                keys: 'Move in the table with the keyboard', frame: 'Empty frame'};
  function read() {
    var holder = document.getElementById('hokkaido-preview-labels');
    if (holder) { Object.keys(labels).forEach(function (k) { labels[k] = holder.getAttribute('data-' + k) || labels[k]; }); }
  }

  function name(element, text) {
    if (element && !element.getAttribute('aria-label')) { element.setAttribute('aria-label', text); }
  }

  function label() {
    read();
    var heads = document.querySelectorAll('thead tr:first-child th');
    document.querySelectorAll('input.fhead').forEach(function (input) {
      var cell = input.closest('th');
      var index = cell ? Array.prototype.indexOf.call(cell.parentNode.children, cell) : -1;
      var head = index >= 0 && heads[index] ? heads[index].textContent.trim() : input.name;
      name(input, labels.filter.replace('{column}', head));
    });
    document.querySelectorAll('.dataTables_paginate .previous a, .dt-paging .previous, .paginate_button.previous')
      .forEach(function (a) { name(a, labels.previous); });
    document.querySelectorAll('.dataTables_paginate .next a, .dt-paging .next, .paginate_button.next')
      .forEach(function (a) { name(a, labels.next); });
    document.querySelectorAll('.dataTables_filter input, .dt-search input').forEach(function (input) {
      name(input, labels.search);
    });
    // the focus catcher the table's keyboard navigation adds, and the blank
    // frame a plugin puts behind pop-ups
    document.querySelectorAll('input[type="text"]:not([name]):not([id])').forEach(function (input) {
      name(input, labels.keys);
    });
    document.querySelectorAll('iframe:not([title])').forEach(function (frame) {
      frame.setAttribute('title', labels.frame);
      frame.setAttribute('aria-hidden', 'true');
      frame.setAttribute('tabindex', '-1');
    });
    document.querySelectorAll('a:not([href]), a[href]').forEach(function (a) {
      if (!a.textContent.trim() && !a.getAttribute('aria-label') && !a.getAttribute('title')) {
        var icon = a.querySelector('i[title], span[title]');
        if (icon) { name(a, icon.getAttribute('title')); }
      }
    });
  }

  new MutationObserver(label).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', label);
})();
