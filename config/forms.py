from django import forms


class StyledForm(forms.Form):
    """Adds Bootstrap classes to every widget, and marks invalid fields (also errors a view adds
    after validation, e.g. from a service). Django itself sets aria-invalid and points
    aria-describedby at `<id>_error` and `<id>_helptext`, which includes/form.html renders."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs["class"].split():
                    widget.attrs["class"] += " is-invalid"
