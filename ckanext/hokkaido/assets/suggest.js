/* The search box's suggestions (ckanext-hokkaido): municipalities and
 * datasets from the hokkaido_search_suggest action while one types.
 *
 * Attached to the header's search field (data-module="hokkaido-suggest",
 * data-module-list: the id of the list it fills). The form still submits
 * as before: without JavaScript, or when nothing is chosen, Enter searches.
 * Keyboard: Down/Up move through the suggestions, Enter opens the one
 * chosen, Escape closes the list (the WAI-ARIA combobox pattern).
 */
this.ckan.module('hokkaido-suggest', function ($) {
  'use strict';
  return {
    options: {list: null, municipalityLabel: '', delay: 200, minLength: 1},

    initialize: function () {
      this.input = this.el[0];
      this.list = document.getElementById(this.options.list);
      if (!this.list) { return; }
      this.timer = null;
      this.active = -1;
      this.asked = '';
      this.input.addEventListener('input', this._onInput.bind(this));
      this.input.addEventListener('keydown', this._onKey.bind(this));
      this.input.addEventListener('blur', function () {
        // after a click on a suggestion has been taken
        window.setTimeout(this._close.bind(this), 200);
      }.bind(this));
    },

    _onInput: function () {
      window.clearTimeout(this.timer);
      var q = this.input.value.trim();
      if (q.length < this.options.minLength) { this._close(); return; }
      this.timer = window.setTimeout(this._ask.bind(this, q), this.options.delay);
    },

    _ask: function (q) {
      var module = this;
      this.asked = q;
      var url = this.sandbox.client.url('/api/3/action/hokkaido_search_suggest') +
        '?q=' + encodeURIComponent(q);
      fetch(url, {headers: {'Accept': 'application/json'}, credentials: 'same-origin'})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          // an answer to an older question is dropped
          if (body && body.success && module.asked === q && module.input.value.trim() === q) {
            module._show(body.result);
          }
        })
        .catch(function () { module._close(); });
    },

    _show: function (result) {
      var list = this.list, id = list.id;
      list.textContent = '';
      this.active = -1;
      var items = [];
      result.municipalities.forEach(function (m) {
        items.push({text: m.name, note: this.options.municipalityLabel, url: m.url});
      }, this);
      result.datasets.forEach(function (d) {
        items.push({text: d.title, note: d.municipality, url: d.url});
      });
      items.forEach(function (item, index) {
        var li = document.createElement('li');
        li.id = id + '-' + index;
        li.setAttribute('role', 'option');
        li.className = 'hokkaido-suggestion';
        var a = document.createElement('a');
        a.href = item.url;
        a.tabIndex = -1;
        a.textContent = item.text;
        li.appendChild(a);
        if (item.note) {
          var small = document.createElement('small');
          small.textContent = item.note;
          li.appendChild(small);
        }
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      this.input.setAttribute('aria-expanded', items.length ? 'true' : 'false');
      this.input.removeAttribute('aria-activedescendant');
    },

    _close: function () {
      this.list.hidden = true;
      this.active = -1;
      this.input.setAttribute('aria-expanded', 'false');
      this.input.removeAttribute('aria-activedescendant');
    },

    _onKey: function (event) {
      var options = this.list.querySelectorAll('[role=option]');
      if (this.list.hidden || !options.length) { return; }
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        var step = event.key === 'ArrowDown' ? 1 : -1;
        this.active = (this.active + step + options.length) % options.length;
        options.forEach(function (option, index) {
          option.setAttribute('aria-selected', index === this.active ? 'true' : 'false');
        }, this);
        this.input.setAttribute('aria-activedescendant', options[this.active].id);
      } else if (event.key === 'Enter' && this.active >= 0) {
        event.preventDefault();
        window.location.href = options[this.active].querySelector('a').href;
      } else if (event.key === 'Escape') {
        this._close();
      }
    }
  };
});
