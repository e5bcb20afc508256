// Quick log: filter the category list as the fixer types, and ask for a barrier
// only when the item is End of life. Without JavaScript every choice stays visible.
(function () {
  "use strict";
  var search = document.getElementById("category-search");
  var choices = document.querySelectorAll("#category-choices label");
  if (search) {
    search.addEventListener("input", function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      choices.forEach(function (label) {
        var text = label.getAttribute("data-label");
        label.hidden = !words.every(function (word) { return text.indexOf(word) !== -1; });
      });
    });
  }
  var barrier = document.getElementById("barrier-choices");
  var statuses = document.querySelectorAll("input[name=status]");
  function showBarrier() {
    var chosen = document.querySelector("input[name=status]:checked");
    barrier.hidden = !(chosen && chosen.value === "end_of_life");
    if (barrier.hidden) {
      barrier.querySelectorAll("input").forEach(function (input) { input.checked = false; });
    }
  }
  if (barrier) {
    statuses.forEach(function (input) { input.addEventListener("change", showBarrier); });
    showBarrier();
  }
})();
