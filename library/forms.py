from django import forms
from django.core.exceptions import ValidationError

from library import notes
from library.models import (
    COLLECTION_DESCRIPTION_MAX_LENGTH,
    COLLECTION_NAME_MAX_LENGTH,
    ENTRY_NOTE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
)


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


class ImportForm(forms.Form):
    """A reference manager's export, and where its papers go: one of the reader's
    collections, or a new one."""

    file = forms.FileField(
        label="Export file",
        help_text="BibTeX (.bib), RIS (.ris) or CSL-JSON (.json), as Zotero, Mendeley, JabRef "
        "or EndNote export it; at most 20 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".bib,.bibtex,.ris,.json,.txt"}),
    )
    collection = forms.ModelChoiceField(
        label="Into the collection",
        queryset=None,
        required=False,
        empty_label="A new collection (name it below)",
    )
    new_collection = forms.CharField(
        label="New collection's name",
        required=False,
        max_length=200,
        help_text="Only when you chose a new collection above.",
    )

    def __init__(self, *args, collections_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collection"].queryset = collections_queryset

    def clean(self):
        data = super().clean()
        if data.get("collection") is None and not (data.get("new_collection") or "").strip():
            self.add_error("new_collection", "Name the new collection, or choose one above.")
        return data


class CollectionForm(forms.Form):
    """A new collection, or a collection's name and description; library.collections checks
    the name (blank, taken) and says why."""

    name = forms.CharField(label="Name", max_length=COLLECTION_NAME_MAX_LENGTH)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=COLLECTION_DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_public = forms.BooleanField(
        label="Public: anyone with the link can read it",
        required=False,
    )


class ShareForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="They will be able to add, remove, order and annotate papers.",
    )


class EntryNoteForm(forms.Form):
    note = forms.CharField(label="Short note", required=False, max_length=ENTRY_NOTE_MAX_LENGTH)
