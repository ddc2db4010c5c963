// Grid pickers: Select2 4 searching the server (no page ever lists every grid as <option>s).
$(function () {
  $("select.portal-ajax-select").each(function () {
    var el = $(this);
    el.select2({
      theme: "bootstrap",
      allowClear: true,
      placeholder: el.data("placeholder") || "",
      minimumInputLength: 0,
      ajax: {
        url: el.data("url"),
        dataType: "json",
        delay: 250,
        data: function (params) { return { q: params.term || "", level: el.data("level") || "" }; },
        processResults: function (data) { return { results: data.results }; }
      }
    });
  });
});
