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
