/* A chart of one column of the table's quick analysis (データの概要), drawn
 * with Chart.js (ckanext-charts' bundle): a histogram of numbers, the most
 * frequent values of text as bars, rows over time as a line.
 * data-module-chart: {kind, labels, values}; data-module-label: the column. */
this.ckan.module('hokkaido-profile-chart', function ($) {
  return {
    options: {chart: null, label: ''},
    initialize: function () {
      var spec = this.options.chart;
      if (typeof spec === 'string') { spec = JSON.parse(spec); }
      if (!spec || !window.Chart) { return; }
      var line = spec.kind === 'line';
      new window.Chart(this.el[0], {
        type: line ? 'line' : 'bar',
        data: {
          labels: spec.labels,
          datasets: [{label: this.options.label, data: spec.values, borderColor: '#1565c0',
                      backgroundColor: line ? 'rgba(21, 101, 192, 0.15)' : '#1565c0',
                      barPercentage: spec.kind === 'histogram' ? 1.0 : 0.8,
                      categoryPercentage: spec.kind === 'histogram' ? 1.0 : 0.8, fill: line}]
        },
        options: {
          indexAxis: spec.kind === 'bar' ? 'y' : 'x',
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: {legend: {display: false}}
        }
      });
    }
  };
});

/* While the table waits for a worker: its place in the queue, asked again
 * every few seconds (hokkaido_table_profile); the page reloads once the
 * table is loaded (or the load failed). Without JavaScript the page says
 * the place it had when it was drawn. data-module-resource: the resource. */
this.ckan.module('hokkaido-table-wait', function ($) {
  return {
    options: {resource: '', every: 4000},
    initialize: function () {
      this.place = this.el.find('[data-queue-place]');
      this.timer = window.setInterval(this._ask.bind(this), this.options.every);
    },
    _ask: function () {
      var self = this;
      $.getJSON(this.sandbox.client.url('/api/3/action/hokkaido_table_profile'),
                {resource_id: this.options.resource}).done(function (answer) {
        var table = answer.result;
        if (table.status !== 'queued') {
          window.clearInterval(self.timer);
          window.location.reload();
        } else if (self.place.length) {
          self.place.text(table.queue_position ? String(table.queue_position) : '-');
        }
      });
    }
  };
});
