from django import forms


class ConnectionForm(forms.Form):
    name = forms.CharField(max_length=100, initial="Airtable")
    token = forms.CharField(max_length=500, widget=forms.PasswordInput(render_value=False),
                            help_text="A personal access token with data.records:read/write "
                                      "and schema.bases:read/write.")
    endpoint_url = forms.CharField(max_length=300, required=False,
                                   widget=forms.TextInput(attrs={
                                       "placeholder": "https://api.airtable.com"}),
                                   label="Endpoint (optional)")
