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
  // After a tap, on to the next step: the outcome, then the barrier or Save. Only for a
  // tap or click (detail > 0): arrow keys move within a group and must stay there.
  var save = document.querySelector(".save-bar button");
  function onTap(inputs, next) {
    inputs.forEach(function (input) {
      input.addEventListener("click", function (event) {
        if (event.detail > 0) { var target = next(input); if (target) target.focus(); }
      });
    });
  }
  onTap(document.querySelectorAll("input[name=product_category_id]"), function () { return statuses[0]; });
  onTap(statuses, function (input) {
    return input.value === "end_of_life" && barrier ? barrier.querySelector("input") : save;
  });
  if (barrier) onTap(barrier.querySelectorAll("input"), function () { return save; });
})();
