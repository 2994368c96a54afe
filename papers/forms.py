"""Forms of the catalogue's pages."""

from django import forms

from papers.records import MAX_DOI_LENGTH, RecordError, normalize_doi
from papers.similar import MAX_TEXT_CHARS as MAX_SIMILAR_TEXT


class AddPaperForm(forms.Form):
    """ "Add a paper by DOI": one field, checked the way papers.metadata.add_by_doi checks it.

    ``cleaned_data["doi"]`` is the text as typed (stripped), for add_by_doi to normalise.
    """

    doi = forms.CharField(
        label="DOI",
        # Room for a resolver URL around the longest DOI we store.
        max_length=MAX_DOI_LENGTH + 40,
        help_text="For example 10.1038/srep16696, doi:10.1038/srep16696 or "
        "https://doi.org/10.1038/srep16696.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "10.1234/abc"}
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # "DOI", as the site's other labels read
        super().__init__(*args, **kwargs)

    def clean_doi(self):
        text = self.cleaned_data["doi"]
        try:
            normalize_doi(text)
        except RecordError as error:
            raise forms.ValidationError(str(error), code="invalid") from None
        return text


class SimilarForm(forms.Form):
    """ "Find papers like this": the text to compare, checked by ``papers.similar``."""

    text = forms.CharField(
        label="Text to compare",
        # The length is checked by papers.similar once line breaks are counted as one
        # character each, as the browser's maxlength counts them (a form sends them as two).
        strip=True,
        help_text=f"An abstract, a question or a draft's introduction: up to "
        f"{MAX_SIMILAR_TEXT:,} characters.",
        widget=forms.Textarea(attrs={"rows": 10, "maxlength": MAX_SIMILAR_TEXT}),
        error_messages={"required": "Paste some text to find papers like it: the text is empty."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
