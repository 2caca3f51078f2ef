/* 记录现场问题：问题细项只显示所选指标的细项（按指标分组的 optgroup）。 */
(function () {
  "use strict";
  function init() {
    var ind = document.querySelector("select[name=indicator]");
    var sub = document.querySelector("select[name=sub_problem]");
    if (!ind || !sub) return;
    function sync() {
      var chosen = ind.options[ind.selectedIndex] ? ind.options[ind.selectedIndex].text : "";
      var any = false;
      Array.prototype.forEach.call(sub.querySelectorAll("optgroup"), function (g) {
        var show = !ind.value || g.label === chosen;
        g.hidden = !show;
        g.disabled = !show;
        if (show) any = true;
      });
      var sel = sub.options[sub.selectedIndex];
      if (sel && sel.parentNode.tagName === "OPTGROUP" && sel.parentNode.disabled) sub.value = "";
      sub.disabled = !!ind.value && !any;
    }
    ind.addEventListener("change", sync);
    sync();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
