// The quick log: keep the weight in step with the parcel type until someone types a weight,
// and show that a tap was taken. The server's one-time token is what stops duplicates.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("parcel-form");
  if (!form) return;
  var weight = form.querySelector("#weight_kg");
  var typed = false;
  if (weight) weight.addEventListener("input", function () { typed = true; });
  form.querySelectorAll("input[name=parcel_type]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (weight && !typed && radio.dataset.weightKg) weight.value = radio.dataset.weightKg;
    });
  });
  form.addEventListener("submit", function () {
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.setAttribute("aria-busy", "true");
      button.textContent = "Logging…";
    });
  });
});
