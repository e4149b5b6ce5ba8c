from django import forms


class ClientKeyForm(forms.Form):
    name = forms.CharField(max_length=100, initial="AI client")
    write = forms.BooleanField(required=False, label="Allow the client to write")
