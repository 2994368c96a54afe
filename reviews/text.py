"""A review's text as HTML: Markdown rendered, then sanitised by nh3 (Ammonia).

Reviewers write plain text or Markdown. Whatever they type, only the tags and attributes
listed here reach a page, the admin, the API or an email: no script, style, iframe, image
or event attribute, and links only to http(s) or mailto, opened with rel="nofollow noopener".
"""

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "hr", "sub", "sup",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_review_text(text):
    """Sanitised HTML for ``text`` (plain text or Markdown); "" for blank text.

    Raw HTML typed into the text is shown as text, not passed through, and whatever else
    Markdown produces is cut down by nh3 to the allowed tags and attributes.
    """
    if not text.strip():
        return ""
    html = markdown.markdown(_escape_html(text), extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )


def _escape_html(text):
    # Markdown passes raw HTML through; a reviewer's "<b>" is meant as text, so it is shown.
    # (">" stays: it starts a Markdown quote, and without "<" it opens no tag.)
    return text.replace("<", "&lt;")
