/* Show or hide conditional fields of schema forms (data-show-if-field /
 * data-show-if-value) as answers change. No dependencies, ES5 for old phones.
 * Inputs of a hidden field are disabled so they are not submitted and their
 * browser checks cannot block the form; the server applies the same rule. */
(function () {
  'use strict';

  function selectedValues(root, name) {
    var values = [];
    var inputs = root.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.disabled) { continue; }
      if (input.type === 'radio' || input.type === 'checkbox') {
        if (input.checked) { values.push(input.value); }
      } else if (input.value !== '') {
        values.push(input.value);
      }
    }
    return values;
  }

  function setShown(group, shown) {
    group.style.display = shown ? '' : 'none';
    var inputs = group.querySelectorAll('input, select, textarea');
    for (var i = 0; i < inputs.length; i++) { inputs[i].disabled = !shown; }
  }

  function update(root) {
    // show_if only points at earlier fields, so document order settles chains.
    var groups = root.querySelectorAll('[data-show-if-field]');
    for (var i = 0; i < groups.length; i++) {
      var group = groups[i];
      var values = selectedValues(root, group.getAttribute('data-show-if-field'));
      setShown(group, values.indexOf(group.getAttribute('data-show-if-value')) !== -1);
    }
  }

  function init() {
    var roots = document.querySelectorAll('[data-schema-form]');
    for (var i = 0; i < roots.length; i++) {
      (function (root) {
        var handler = function () { update(root); };
        root.addEventListener('change', handler);
        root.addEventListener('input', handler);
        update(root);
      })(roots[i]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
