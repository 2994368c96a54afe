from django import forms

from reviews.models import MAX_ANSWER_CHARS, MAX_REQUEST_CHARS, MAX_TEXT_CHARS, ResourceRequest

STARS = [(n, str(n)) for n in range(1, 6)]
OPTIONAL_STARS = [("", "No rating"), *STARS]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Your rating",
        choices=STARS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a rating from 1 to 5.",
            "invalid_choice": "A rating is a whole number from 1 to 5.",
        },
    )
    novelty = forms.TypedChoiceField(
        choices=OPTIONAL_STARS, coerce=int, empty_value=None, required=False
    )
    significance = forms.TypedChoiceField(
        choices=OPTIONAL_STARS, coerce=int, empty_value=None, required=False
    )
    rigor = forms.TypedChoiceField(
        label="Scientific rigor",
        choices=OPTIONAL_STARS,
        coerce=int,
        empty_value=None,
        required=False,
    )
    text = forms.CharField(
        label="Your review (optional; plain text or Markdown)",
        required=False,
        max_length=MAX_TEXT_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "max_length": f"A review can be at most {MAX_TEXT_CHARS:,} characters "
            "(this one has %(show_value)d)."
        },
    )

    @classmethod
    def for_review(cls, review, data=None):
        """The form, filled in with ``review`` (the reader's own, or None)."""
        initial = {}
        if review is not None:
            initial = {name: getattr(review, name) for name in cls.base_fields}
        return cls(data, initial=initial)


class ReportForm(forms.Form):
    reason = forms.CharField(
        label="What is wrong with this review?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what is wrong with the review."},
    )


class ResourceRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label="What do you ask for?",
        choices=ResourceRequest.Kind.choices,
        error_messages={"required": "Choose what kind of resource you are asking for."},
    )
    message = forms.CharField(
        label="Your request (what you need, and why)",
        max_length=MAX_REQUEST_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Say what you are asking for.",
            "max_length": f"A request can be at most {MAX_REQUEST_CHARS:,} characters "
            "(this one has %(show_value)d).",
        },
    )


class ResourceAnswerForm(forms.Form):
    text = forms.CharField(
        label="Your answer (plain text or Markdown)",
        required=False,
        max_length=MAX_ANSWER_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Checked by reviews.resources.clean_link (http and https only).
    link = forms.CharField(label="Link to the resource (optional)", required=False, max_length=1000)


class ResourceStatusForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("acknowledge", "Acknowledge"), ("fulfil", "Fulfilled"), ("decline", "Decline")]
    )
    link = forms.CharField(label="Where the resource now is", required=False, max_length=1000)
    reason = forms.CharField(
        label="Why it is declined", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
