// Grid and person pickers: Select2 4 searching the server (no page ever lists every grid or person as
// <option>s). The same pickers serve forms and the list filters, where FAB's filter script clones the
// search form's field when a filter is added: those are set up when they appear, and a filter already
// applied (?_flt_0_person=42) gets its chosen row's label from the same endpoint (?id=42).
(function ($) {
  function setUp(el) {
    el.select2({
      theme: "bootstrap",
      allowClear: true,
      width: "100%",
      placeholder: el.data("placeholder") || "",
      minimumInputLength: 0,
      ajax: {
        url: el.data("url"),
        dataType: "json",
        delay: 250,
        data: function (params) { return { q: params.term || "" }; },
        processResults: function (data) { return { results: data.results }; }
      }
    });
  }

  function chosenInFilter(el) {
    var name = el.attr("name") || "";
    if (name.indexOf("_flt_") !== 0 || el.val()) { return; }
    var value = new URLSearchParams(window.location.search).get(name);
    if (!value) { return; }
    var url = el.data("url");
    $.getJSON(url + (url.indexOf("?") < 0 ? "?" : "&") + "id=" + encodeURIComponent(value), function (data) {
      var text = data.results && data.results.length ? data.results[0].text : value;
      el.append(new Option(text, value, true, true)).trigger("change");
    });
  }

  function setUpAll() {
    $("select.portal-ajax-select").each(function () {
      var el = $(this);
      if (!el.hasClass("select2-hidden-accessible")) {
        setUp(el);
        chosenInFilter(el);
      }
    });
  }

  $(function () {
    setUpAll();
    // FAB's "Add filter" menu appends a copy of the field after its own click handler has run.
    $(document).on("click", "#filter_form a.filter", function () { window.setTimeout(setUpAll, 0); });
  });
})(jQuery);
