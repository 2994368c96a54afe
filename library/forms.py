from django import forms
from django.core.exceptions import ValidationError

from library import notes
from library.models import NOTE_MAX_LENGTH


class NoteForm(forms.Form):
    """A reader's private note on a paper; a blank text deletes the note."""

    # No max_length on the field: notes.check_text says what the limit is and how long the
    # text was, and the textarea's maxlength stops a browser from typing past it.
    text = forms.CharField(
        label="Your private note",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": NOTE_MAX_LENGTH}),
        help_text="Only you can see it. Leave it empty and save to delete it.",
    )

    def clean_text(self):
        try:
            return notes.check_text(self.cleaned_data["text"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
