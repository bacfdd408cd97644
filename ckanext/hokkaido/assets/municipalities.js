/* Sortable municipality table: click a column header to sort by it, click
 * again to reverse. Filtering is done by the form (server side), so the
 * page works without JavaScript too. */
document.addEventListener("DOMContentLoaded", function () {
  var table = document.getElementById("municipality-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    th.addEventListener("click", function () {
      var numeric = th.getAttribute("data-type") === "number";
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        other.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[index].getAttribute("data-value") || a.cells[index].textContent;
        var y = b.cells[index].getAttribute("data-value") || b.cells[index].textContent;
        var order = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0)
                            : x.localeCompare(y, "ja");
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  Array.prototype.forEach.call(body.rows, function (row) {
    row.addEventListener("click", function (event) {
      if (event.target.tagName !== "A") {
        window.location.href = row.getAttribute("data-href");
      }
    });
  });
});
