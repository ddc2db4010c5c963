// Public tip-off page: grid search picker and the named/anonymous switch. Works without it too.
(function () {
  var box = document.getElementById("grid-search");
  if (box) {
    var hidden = document.getElementById("grid_id"), list = document.getElementById("grid-results"),
        chosen = document.getElementById("grid-chosen"), timer = null;
    box.addEventListener("input", function () {
      clearTimeout(timer);
      var q = box.value.trim();
      if (!q) { list.innerHTML = ""; return; }
      timer = setTimeout(function () {
        fetch(box.getAttribute("data-url") + "?q=" + encodeURIComponent(q))
          .then(function (r) { return r.json(); })
          .then(function (data) {
            list.innerHTML = "";
            data.results.forEach(function (g) {
              var b = document.createElement("button");
              b.type = "button";
              b.textContent = (g.code ? g.code + " " : "") + g.text;
              b.addEventListener("click", function () {
                hidden.value = g.id; chosen.textContent = b.textContent; list.innerHTML = ""; box.value = "";
              });
              list.appendChild(b);
            });
          });
      }, 250);
    });
  }
  var named = document.getElementById("named-fields");
  if (named) {
    var sync = function () {
      var r = document.querySelector("input[name=identity]:checked");
      named.hidden = !(r && r.value === "named");
    };
    document.querySelectorAll("input[name=identity]").forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  }
})();
