// Policy pages: <button data-copy="#id" data-copied="已复制"> copies the value of the element it names.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var field = document.querySelector(button.dataset.copy);
  if (!field) return;
  var label = button.textContent;
  function done() {
    button.textContent = button.dataset.copied || label;
    setTimeout(function () { button.textContent = label; }, 1500);
  }
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});

// The reader's table of contents follows the address: the article named by #a<number> is marked and
// scrolled into the (sticky) list, on a deep link as on a click.
function markTocEntry() {
  var toc = document.querySelector(".toc");
  if (!toc) return;
  toc.querySelectorAll("a.current").forEach(function (a) { a.classList.remove("current"); });
  if (!location.hash) return;
  var link = toc.querySelector('a[href="' + location.hash + '"]');
  if (!link) return;
  link.classList.add("current");
  var top = link.offsetTop - toc.offsetTop;
  if (top < toc.scrollTop || top > toc.scrollTop + toc.clientHeight - link.offsetHeight) {
    toc.scrollTop = top - toc.clientHeight / 3;
  }
}
window.addEventListener("hashchange", markTocEntry);
document.addEventListener("DOMContentLoaded", markTocEntry);
