from django import forms
from django.db.models.functions import Lower

from accounts.models import ClaimDispute, Profile
from accounts.orcid import normalize_orcid
from papers.models import Category, Keyword


class KeywordNamesField(forms.CharField):
    """Catalogue keywords typed as comma-separated names (any case): the catalogue may hold
    far too many keywords for a select box. Cleans to a list of Keyword rows."""

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(k.name if isinstance(k, Keyword) else str(k) for k in value)
        return value

    def clean(self, value):
        text = super().clean(value)
        names = {" ".join(n.split()).lower() for n in (text or "").split(",")} - {""}
        if not names:
            return []
        found = {
            k.name.lower(): k
            for k in Keyword.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=names)
        }
        missing = sorted(names - found.keys())
        if missing:
            raise forms.ValidationError(
                "Not a keyword of the catalogue: %(names)s.", params={"names": ", ".join(missing)}
            )
        return sorted(found.values(), key=lambda k: k.name.lower())


FREQUENCY_FIELDS = [
    "recommendation_frequency",
    "paper_activity_frequency",
    "request_answers_frequency",
    "claim_decisions_frequency",
    "follow_alerts_frequency",
]
EMAIL_FIELDS = [*FREQUENCY_FIELDS, "review_notices"]


class ProfileForm(forms.ModelForm):
    # Longer than the stored 19 characters: people paste https://orcid.org/... too.
    orcid = forms.CharField(
        label="ORCID iD",
        required=False,
        max_length=60,
        help_text="e.g. 0000-0002-1825-0097. Sign in with ORCID to have it proven.",
    )
    interest_keywords = KeywordNamesField(
        label="Research interests: keywords",
        required=False,
        max_length=2000,
        help_text="Keywords of the catalogue, separated by commas.",
    )

    class Meta:
        model = Profile
        fields = [
            "display_name",
            "affiliation",
            "orcid",
            "bio",
            "interest_categories",
            "interest_keywords",
            *EMAIL_FIELDS,
        ]
        labels = {
            "interest_categories": "Research interests: categories",
        }
        help_texts = {
            "bio": f"At most {Profile.BIO_MAX_LENGTH} characters.",
        }
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 5}),
            "interest_categories": forms.CheckboxSelectMultiple,
            **{name: forms.RadioSelect for name in FREQUENCY_FIELDS},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in FREQUENCY_FIELDS:
            # A form (or script) that leaves a frequency out keeps the current one.
            self.fields[name].required = False
        self.fields["interest_categories"].queryset = Category.objects.order_by("name")
        if self.instance.orcid_proven:
            # A proven iD changes only through ORCID sign-in.
            self.fields["orcid"].disabled = True
            self.fields["orcid"].help_text = "Proven by your ORCID sign-in."

    def clean(self):
        cleaned = super().clean()
        for name in FREQUENCY_FIELDS:
            if not cleaned.get(name) and name not in self.errors:
                cleaned[name] = getattr(self.instance, name)
        return cleaned

    def profile_fields(self):
        return [self[name] for name in self.fields if name not in EMAIL_FIELDS]

    def email_fields(self):
        """The preference centre: how often each kind of email comes."""
        return [self[name] for name in EMAIL_FIELDS]

    def clean_orcid(self):
        value = self.cleaned_data.get("orcid")
        if self.fields["orcid"].disabled:
            return self.instance.orcid
        if not value:
            return None
        orcid = normalize_orcid(value)
        if Profile.objects.filter(orcid=orcid).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another researcher's profile has this ORCID iD.")
        return orcid


class DisputeForm(forms.ModelForm):
    class Meta:
        model = ClaimDispute
        fields = ["reason"]
        labels = {"reason": "Why is this claim wrong? (curators read this)"}
        widgets = {"reason": forms.Textarea(attrs={"rows": 4})}


class PasswordConfirmForm(forms.Form):
    """Confirms a grave step with the user's password; a user who only signs in with ORCID
    has none, and types their username instead."""

    password = forms.CharField(label="Your password", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if not user.has_usable_password():
            self.fields["password"] = forms.CharField(label="Type your username to confirm")

    def clean_password(self):
        value = self.cleaned_data["password"]
        if not self.user.has_usable_password():
            if value != self.user.username:
                raise forms.ValidationError("This is not your username.")
        elif not self.user.check_password(value):
            raise forms.ValidationError("This is not your password.")
        return value


class SummaryForm(forms.Form):
    summary = forms.CharField(
        label="Summary", widget=forms.Textarea(attrs={"rows": 8}), max_length=5000, required=False
    )


class KeywordsForm(forms.Form):
    keywords = forms.CharField(
        label="Keywords to add",
        help_text="Separate keywords with commas.",
        max_length=1000,
    )

    def clean_keywords(self):
        names = [" ".join(n.split()) for n in self.cleaned_data["keywords"].split(",")]
        names = [n for n in names if n]
        if not names:
            raise forms.ValidationError("Enter at least one keyword.")
        if any(len(n) > 200 for n in names):
            raise forms.ValidationError("A keyword has at most 200 characters.")
        return names
