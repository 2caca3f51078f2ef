// Behaviour pages ask for with data- attributes; inline event handlers are refused by the CSP.
//   <select data-autosubmit>           submits its form when changed
//   <input type="checkbox" data-check-all="CSS selector">  ticks or clears every matching checkbox
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches("[data-autosubmit]") && el.form) {
    el.form.submit();
  }
  if (el.matches("[data-check-all]")) {
    document.querySelectorAll(el.dataset.checkAll).forEach(function (box) { box.checked = el.checked; });
  }
});
