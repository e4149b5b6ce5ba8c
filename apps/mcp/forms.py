from django import forms
from oauth2_provider.forms import AllowForm

from apps.core.tools import tool_registry

from .grants import Grant

ACCESS_CHOICES = [("read", "Read only"), ("write", "Read and write")]


def tool_choices():
    return [(tool.name, f"{tool.title}{' (destructive)' if tool.destructive else ''}")
            for tool in tool_registry.all()]


def default_tools() -> list[str]:
    """Destructive tools are opt-in: a new connection starts without them."""
    return [tool.name for tool in tool_registry.all() if not tool.destructive]


class LimitsForm(forms.Form):
    """Which bases and tools a connection may use."""

    all_bases = forms.BooleanField(required=False, initial=True,
                                   label="Every base (also bases connected later)")
    bases = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    tools = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, bases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bases"].choices = list(bases)
        self.fields["tools"].choices = tool_choices()
        self.fields["tools"].initial = default_tools()

    def chosen_bases(self) -> list[str] | None:
        if self.cleaned_data.get("all_bases"):
            return None
        return list(self.cleaned_data.get("bases") or [])

    def limits_apply(self) -> bool:
        return True

    def clean(self):
        cleaned = super().clean()
        if self.limits_apply():
            if not cleaned.get("all_bases") and not cleaned.get("bases"):
                self.add_error(None, "Pick at least one base, or every base.")
            if not cleaned.get("tools"):
                self.add_error("tools", "Pick at least one tool.")
        return cleaned


class ClientKeyForm(LimitsForm):
    name = forms.CharField(max_length=100, initial="AI client")
    write = forms.BooleanField(required=False, label="Allow the client to write")
    field_order = ["name", "write", "all_bases", "bases", "tools"]


class ConsentForm(AllowForm, LimitsForm):
    """The OAuth consent: the team, read-only or read-write, the bases and the tools."""

    tenant = forms.ChoiceField(label="Team")
    access = forms.ChoiceField(choices=ACCESS_CHOICES, initial="read",
                               widget=forms.RadioSelect)

    def __init__(self, *args, teams=(), **kwargs):
        """teams: (tenant, can_write, [(base_id, label)]) for each team of the user."""
        self.teams = list(teams)
        bases = [(f"{tenant.slug}/{base_id}", f"{tenant.name}: {label}")
                 for tenant, _can_write, team_bases in self.teams
                 for base_id, label in team_bases]
        super().__init__(*args, bases=bases, **kwargs)
        self.fields["tenant"].choices = [(tenant.slug, tenant.name)
                                         for tenant, _w, _b in self.teams]

    def limits_apply(self) -> bool:
        return bool(self.cleaned_data.get("allow"))

    def clean(self):
        cleaned = super().clean()
        slug = cleaned.get("tenant")
        team = next((t for t in self.teams if t[0].slug == slug), None)
        if team is None or not self.limits_apply():
            return cleaned
        if cleaned.get("access") == "write" and not team[1]:
            self.add_error("access", "A viewer of this team can only grant reading.")
        for value in cleaned.get("bases") or []:
            if not value.startswith(f"{slug}/"):
                self.add_error("bases", "Pick bases of the chosen team only.")
                break
        return cleaned

    def grant(self) -> Grant:
        bases = self.chosen_bases()
        return Grant(tenant_slug=self.cleaned_data["tenant"],
                     can_write=self.cleaned_data["access"] == "write",
                     bases=frozenset(value.split("/", 1)[1] for value in bases)
                     if bases is not None else None,
                     tools=frozenset(self.cleaned_data["tools"]))
