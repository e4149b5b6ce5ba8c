from __future__ import annotations

from django import forms

MAX_MAPPING_LINES = 2_000


class ImportForm(forms.Form):
    """Rows of one of the file's tables into one of the team's Airtable tables; the target is
    chosen from the tables of the bases the team has connected ("base id/table id")."""

    target = forms.ChoiceField(label="Airtable table")
    sheet = forms.ChoiceField(label="Table of the file", required=False)
    mapping = forms.CharField(
        required=False, label="Mapping",
        help_text="One “column = field” per line; leave empty to match columns to fields by "
                  "name.",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Full name = Name"}))
    typecast = forms.BooleanField(required=False, initial=True,
                                  label="Let Airtable convert values (typecast)")

    def __init__(self, *args, sheets: list[str], targets: list[tuple[str, list]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [(name, name) for name in sheets]
        self.fields["target"].choices = targets

    def clean(self):
        cleaned = super().clean()
        target = cleaned.pop("target", None)
        if target:
            cleaned["base_id"], _slash, cleaned["table"] = target.partition("/")
        return cleaned

    def clean_mapping(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        lines = [line for line in self.cleaned_data["mapping"].splitlines() if line.strip()]
        if len(lines) > MAX_MAPPING_LINES:
            raise forms.ValidationError(f"At most {MAX_MAPPING_LINES} lines.")
        for number, line in enumerate(lines, start=1):
            column, equals, field = line.partition("=")
            if not equals or not column.strip() or not field.strip():
                raise forms.ValidationError(f"Line {number} is not “column = field”.")
            mapping[column.strip()] = field.strip()
        return mapping
